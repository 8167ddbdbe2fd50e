/* eslint-disable no-console -- a web page reports to its browser console */
/**
 * The docpeer demo page: a todo list shared by every tab that opens this page and by the server
 * peer that serves it. Each tab is a full peer: it dials the server (WebSocket, or WebRTC Direct with
 * `?transport=webrtc-direct`), takes a relay reservation there, finds the other tabs through the
 * server and connects to them over WebRTC; tabs of this browser also sync through a
 * BroadcastChannel, so they keep working with the server gone. Documents live in IndexedDB.
 */
import { initializeWasm } from '@automerge/automerge/slim'
import { BroadcastChannelNetworkAdapter } from '@automerge/automerge-repo-network-broadcastchannel'
import { IndexedDBStorageAdapter } from '@automerge/automerge-repo-storage-indexeddb'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { createPeer } from 'docpeer'
import { MAX_TITLE_LENGTH, MAX_TODO_LENGTH, clip } from './limits.ts'
import type { AutomergeUrl, DocHandle, Repo } from '@automerge/automerge-repo'
import type { Connection, PrivateKey } from '@libp2p/interface'
import type { Docpeer } from 'docpeer'

interface Todo {
  id: string
  text: string
  done: boolean
  by: string
  at: number
}

interface TodoList {
  title: string
  todos: Todo[]
}

/**
 * What the demo server tells the page (`/config.json`).
 */
interface DemoConfig {
  docUrl: AutomergeUrl
  server: {
    peerId: string
    storageId?: string
    ws: string[]
    webrtcDirect: string[]
  }
}

type SyncState = 'starting' | 'syncing' | 'synced' | 'offline'

export interface DemoStatus {
  peerId?: string
  syncState: SyncState
  firstSyncMs?: number
  /**
   * ms after page load at which each start-up step finished
   */
  timings: Record<string, number>
  todos: string[]
}

declare global {
  interface Window {
    demo: DemoStatus
  }
}

const status: DemoStatus = { syncState: 'starting', timings: {}, todos: [] }

function mark (step: string): void {
  status.timings[step] = Math.round(performance.now())
}
window.demo = status

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T

const short = (id: string): string => `${id.slice(0, 6)}…${id.slice(-4)}`

/**
 * One libp2p identity per tab, kept across reloads of that tab: tabs of one origin share
 * IndexedDB, and two tabs with one peer id would look like one peer to everybody else.
 */
async function tabKey (): Promise<PrivateKey> {
  const stored = sessionStorage.getItem('docpeer-demo-key')

  if (stored != null) {
    return privateKeyFromProtobuf(Uint8Array.from(atob(stored), c => c.charCodeAt(0)))
  }

  const key = await generateKeyPair('Ed25519')
  sessionStorage.setItem('docpeer-demo-key', btoa(String.fromCharCode(...privateKeyToProtobuf(key))))
  return key
}

type TransportName = 'webrtc' | 'webrtc-direct' | 'websocket' | 'relayed' | 'tcp' | 'other'

function transportOf (connection: Connection): TransportName {
  const names = connection.remoteAddr.getComponents().map(c => c.name)

  if (names.includes('webrtc-direct')) { return 'webrtc-direct' }
  if (names.includes('webrtc')) { return 'webrtc' }
  if (names.includes('p2p-circuit')) { return 'relayed' }
  if (names.includes('ws') || names.includes('wss')) { return 'websocket' }
  if (names.includes('tcp')) { return 'tcp' }
  return 'other'
}

function el (tag: string, props: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElement {
  const node = document.createElement(tag)

  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') {
      node.className = value
    } else {
      node.setAttribute(key, value)
    }
  }

  node.append(...children)
  return node
}

function renderConnections (peer: Docpeer, repo: Repo, config: DemoConfig): void {
  const byPeer = new Map<string, Set<string>>()

  for (const connection of peer.libp2p.getConnections()) {
    const id = connection.remotePeer.toString()
    const set = byPeer.get(id) ?? new Set()
    set.add(transportOf(connection))
    byPeer.set(id, set)
  }

  // automerge peers with no libp2p connection are other tabs reached through the BroadcastChannel
  for (const id of repo.peers) {
    if (!byPeer.has(id)) {
      byPeer.set(id, new Set(['tab']))
    }
  }

  const items = [...byPeer.entries()]
    // the server first, then the others in a stable order
    .sort(([a], [b]) => Number(b === config.server.peerId) - Number(a === config.server.peerId) || a.localeCompare(b))
    .map(([id, transports]) => el('li', { 'data-peer': id },
      el('span', { class: 'who' },
        el('code', { title: id }, short(id)),
        el('span', { class: 'role' }, id === config.server.peerId ? 'server' : 'browser peer')
      ),
      el('span', { class: 'badges' }, ...[...transports].sort().map(t => el('span', { class: 'badge', 'data-transport': t }, t)))
    ))

  $('connections').replaceChildren(...items)
  $('peer-count').textContent = String(byPeer.size)
}

function renderDoc (handle: DocHandle<TodoList>, me: string): void {
  const doc = handle.doc()
  const title = $<HTMLInputElement>('list-title')

  if (document.activeElement !== title) {
    title.value = clip(doc.title ?? '', MAX_TITLE_LENGTH)
  }

  const items = (doc.todos ?? []).map(todo => {
    const box = el('input', { type: 'checkbox', 'aria-label': `done: ${todo.text}` }) as HTMLInputElement
    box.checked = todo.done
    box.addEventListener('change', () => {
      handle.change(d => {
        const t = d.todos.find(t => t.id === todo.id)
        if (t != null) { t.done = box.checked }
      })
    })

    const remove = el('button', { class: 'delete', type: 'button', title: 'Delete', 'aria-label': `delete: ${todo.text}` }, '×')
    remove.addEventListener('click', () => {
      handle.change(d => {
        const i = d.todos.findIndex(t => t.id === todo.id)
        if (i >= 0) { d.todos.splice(i, 1) }
      })
    })

    let by = short(todo.by)

    if (todo.by === me) {
      by = 'you'
    } else if (todo.by === 'server') {
      by = 'server'
    }

    return el('li', { class: todo.done ? 'todo done' : 'todo', 'data-id': todo.id },
      box,
      el('span', { class: 'text' }, clip(String(todo.text ?? ''), MAX_TODO_LENGTH)),
      el('span', { class: todo.by === me ? 'by me' : 'by', title: `added by ${todo.by}` }, by),
      remove
    )
  })

  $('todos').replaceChildren(...items)
  $('empty').hidden = items.length > 0
  const open = (doc.todos ?? []).filter(t => !t.done).length
  $('counts').textContent = `${open} open · ${(doc.todos ?? []).length - open} done`
  status.todos = (doc.todos ?? []).map(t => t.text)
}

function setSyncState (state: SyncState, text: string): void {
  if (state === 'synced' && status.firstSyncMs == null) {
    // performance.now() counts from the start of the navigation
    status.firstSyncMs = Math.round(performance.now())
    $('first-sync').textContent = `${status.firstSyncMs} ms after page load`
  }

  status.syncState = state
  const pill = $('sync-state')
  pill.dataset.state = state
  pill.textContent = text
}

/**
 * Redials the server whenever this tab has no connection to it, every few seconds, for as long as
 * the tab is open: a tab left open reconnects when the demo server restarts. The address comes
 * from a fresh /config.json when the server serves one (it may have restarted on other ports),
 * else from the config the page loaded with.
 */
function redialServer (peer: Docpeer, config: DemoConfig, transport: 'ws' | 'webrtcDirect'): void {
  const RETRY_MS = 3000
  let dialing = false

  const connected = (): boolean => peer.libp2p.getConnections().some(c => c.remotePeer.toString() === config.server.peerId)

  const attempt = async (): Promise<void> => {
    if (dialing || connected()) {
      return
    }

    dialing = true

    try {
      const fresh = await fetch('/config.json', { cache: 'no-store' }).then(async res => res.json() as Promise<DemoConfig>).catch(() => undefined)
      const addr = (fresh?.server.peerId === config.server.peerId ? fresh.server[transport][0] : undefined) ?? config.server[transport][0]
      await peer.syncWith(addr, { signal: AbortSignal.timeout(RETRY_MS * 2) })
      console.info('reconnected to the server')
    } catch {
      // the server is still away: the next round tries again
    } finally {
      dialing = false
    }
  }

  setInterval(() => { void attempt() }, RETRY_MS)
}

/**
 * The document from IndexedDB, the server or another tab. automerge-repo gives up on a document no
 * connected peer has; try again whenever a peer (a tab, the server) arrives.
 */
async function findDoc (repo: Repo, url: AutomergeUrl): Promise<DocHandle<TodoList>> {
  for (;;) {
    try {
      return await repo.find<TodoList>(url)
    } catch (err) {
      console.info('document not available yet, waiting for a peer', err)
      await new Promise(resolve => { repo.networkSubsystem.once('peer', resolve) })
    }
  }
}

async function main (): Promise<void> {
  // the demo bundle carries automerge's slim entry: its wasm comes as a file of its own, compiled
  // while it downloads, fetched beside the config
  const [config] = await Promise.all([
    fetch('/config.json').then(async res => res.json() as Promise<DemoConfig>),
    initializeWasm('/automerge.wasm')
  ])
  mark('wasm and config')
  const params = new URLSearchParams(location.search)
  const transport = params.get('transport') === 'webrtc-direct' ? 'webrtcDirect' : 'ws'

  const peer = await createPeer({
    privateKey: await tabKey(),
    // the demo server runs on localhost over ws://; a real deployment serves wss://
    allowInsecureWebSockets: true,
    // the demo stays on this machine: no public STUN servers
    iceServers: [],
    repo: {
      storage: new IndexedDBStorageAdapter('docpeer-demo'),
      network: [new BroadcastChannelNetworkAdapter({
        channelName: 'docpeer-demo',
        // the Repo looks documents up only once every adapter is ready, and this one is ready after
        // waiting this long for other tabs (default 1000 ms); tabs of one browser answer at once
        peerWaitMs: 100
      })]
    }
  })

  mark('peer started')
  const repo = peer.repo

  if (repo == null) {
    throw new Error('createPeer gave no Repo')
  }

  const me = peer.peerId.toString()
  status.peerId = me
  $('peer-id').textContent = me
  $('doc-url').textContent = config.docUrl
  document.title = `docpeer · ${short(me)}`

  const refreshConnections = (): void => { renderConnections(peer, repo, config) }
  peer.libp2p.addEventListener('connection:open', refreshConnections)
  peer.libp2p.addEventListener('connection:close', refreshConnections)
  repo.networkSubsystem.on('peer', refreshConnections)
  repo.networkSubsystem.on('peer-disconnected', refreshConnections)
  refreshConnections()

  const serverAddr = config.server[transport][0]
  setSyncState('syncing', 'connecting…')

  try {
    await peer.syncWith(serverAddr)
    mark('server connected')
  } catch (err) {
    console.error('could not reach the server', err)
    setSyncState('offline', 'server unreachable · local only')
  }

  redialServer(peer, config, transport)

  const handle = await findDoc(repo, config.docUrl)
  mark('document found')
  const render = (): void => { renderDoc(handle, me) }
  handle.on('change', render)
  render()

  // in sync when the server has told us heads that equal ours
  const updateSync = (): void => {
    const serverConnected = peer.libp2p.getConnections().some(c => c.remotePeer.toString() === config.server.peerId)

    if (!serverConnected) {
      if (status.firstSyncMs == null) {
        setSyncState('offline', 'connecting…')
        return
      }

      // only what is true now: other tabs or pages this one still syncs with, or none
      const others = repo.peers.filter(peerId => peerId !== config.server.peerId).length
      setSyncState('offline', others === 0
        ? 'server offline · changes kept in this tab'
        : `server offline · syncing with ${others} ${others === 1 ? 'peer' : 'peers'}`)
      return
    }

    const info = config.server.storageId == null ? undefined : handle.getSyncInfo(config.server.storageId as any)
    const ours = handle.heads()
    const same = info != null && info.lastHeads.length === ours.length && info.lastHeads.every(h => ours.includes(h))
    setSyncState(same ? 'synced' : 'syncing', same ? 'in sync with server' : 'syncing…')
  }

  handle.on('remote-heads', updateSync)
  handle.on('change', updateSync)
  peer.libp2p.addEventListener('connection:open', updateSync)
  peer.libp2p.addEventListener('connection:close', updateSync)
  repo.networkSubsystem.on('peer', updateSync)
  repo.networkSubsystem.on('peer-disconnected', updateSync)
  updateSync()

  const title = $<HTMLInputElement>('list-title')
  const input = $<HTMLInputElement>('new-todo')
  title.disabled = false
  input.disabled = false
  $<HTMLButtonElement>('add-form').querySelector('button')?.removeAttribute('disabled')

  title.addEventListener('input', () => {
    handle.change(d => { d.title = clip(title.value, MAX_TITLE_LENGTH) })
  })

  title.maxLength = MAX_TITLE_LENGTH
  input.maxLength = MAX_TODO_LENGTH

  $('add-form').addEventListener('submit', (evt) => {
    evt.preventDefault()
    const text = clip(input.value.trim(), MAX_TODO_LENGTH)

    if (text === '') {
      return
    }

    handle.change(d => {
      d.todos ??= []
      d.todos.push({ id: crypto.randomUUID(), text, done: false, by: me, at: Date.now() })
    })
    input.value = ''
  })

  $('clear-done').addEventListener('click', () => {
    handle.change(d => {
      for (let i = d.todos.length - 1; i >= 0; i--) {
        if (d.todos[i].done) { d.todos.splice(i, 1) }
      }
    })
  })

  input.focus()
  // for poking at it from the console
  ;(window as any).docpeer = { peer, repo, handle }
}

main().catch(err => {
  console.error(err)
  setSyncState('offline', `error: ${err.message}`)
})
