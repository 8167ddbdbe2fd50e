/**
 * A docpeer peer in a lab namespace, driven over IPC like harness/soak/reliability-peer.ts (the
 * parent is `ChildPeer`). Options come as JSON in LAB_PEER. Requests `{ id, type, ... }`:
 *
 * - `create` { text }: a new document `{ text }`; answers `{ url }`
 * - `change` { url, text }: sets the text; answers `{ at }` (Date.now() after the change)
 * - `wait` { url, text, timeout }: finds the document and answers `{ at, path }` once its text is
 * `text`; `path` describes the connections to the peers it syncs with at that moment
 * - `dial` { addr, timeout }: dials and waits until a connection to that peer is not limited
 * (direct); answers `{ ms, remoteAddr }`
 * - `connections`: every open connection: `{ peer, addr, limited, direction }`
 * - `reachability`: `peer.reachability()`
 * - `stop`: stops the peer cleanly and exits 0
 */
import { createPeer } from '../../src/index.ts'
import { servePeerRequests } from '../soak/peer-process.ts'
import type { DocpeerInit } from '../../src/index.ts'
import type { AutomergeUrl, DocHandle } from '@automerge/automerge-repo'
import type { Connection } from '@libp2p/interface'

export interface LabPeerOptions extends Pick<DocpeerInit, 'role' | 'listen' | 'announce' | 'bootstrap' | 'iceServers' | 'relay'> {
  /** keep and sync documents (false: a server that holds no documents) */
  serveDocs?: boolean
  /** sync over limited (relayed) connections too */
  runOnLimitedConnection?: boolean
  /** dial what discovery finds (default true) */
  dialDiscovered?: boolean
}

interface Doc { text?: string }

const options: LabPeerOptions = JSON.parse(process.env.LAB_PEER ?? '{}')

const peer = await createPeer({
  role: options.role ?? 'daemon',
  mdns: false,
  listen: options.listen,
  announce: options.announce,
  bootstrap: options.bootstrap,
  iceServers: options.iceServers ?? [],
  relay: options.relay,
  dialDiscovered: options.dialDiscovered,
  repo: options.serveDocs === false ? false : { storage: 'memory', sync: { runOnLimitedConnection: options.runOnLimitedConnection } }
})

function describe (connection: Connection): Record<string, unknown> {
  return {
    peer: connection.remotePeer.toString(),
    addr: connection.remoteAddr.toString(),
    limited: connection.limits != null,
    direction: connection.direction
  }
}

async function waitForText (url: AutomergeUrl, text: string, timeout: number): Promise<Record<string, unknown>> {
  const signal = AbortSignal.timeout(timeout)
  let handle: DocHandle<Doc> | undefined

  // repo.find rejects "unavailable" at once while no connected peer has the document yet
  while (handle == null) {
    try {
      handle = await peer.repo!.find<Doc>(url, { signal })
    } catch (err) {
      if (signal.aborted) {
        throw err
      }
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }

  const found = handle
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (found.doc()?.text === text) {
        found.off('change', check)
        resolve()
      }
    }
    signal.addEventListener('abort', () => { found.off('change', check); reject(new Error(`text "${text}" not seen in ${timeout} ms`)) }, { once: true })
    found.on('change', check)
    check()
  })

  const at = Date.now()
  const syncPeers = new Set(peer.syncAdapter?.peers.map(String) ?? [])
  const path = peer.libp2p.getConnections().filter(c => syncPeers.has(c.remotePeer.toString())).map(describe)
  return { at, path }
}

async function dialDirect (addr: string, timeout: number): Promise<Record<string, unknown>> {
  const start = Date.now()
  const signal = AbortSignal.timeout(timeout)
  const first = await peer.dial(addr, { signal })

  const direct = (): Connection | undefined => peer.libp2p.getConnections(first.remotePeer).find(c => c.limits == null)

  while (direct() == null) {
    if (signal.aborted) {
      throw new Error(`no direct connection to ${first.remotePeer.toString()} in ${timeout} ms; have ${peer.libp2p.getConnections(first.remotePeer).map(c => c.remoteAddr.toString()).join(', ')}`)
    }
    await new Promise(resolve => setTimeout(resolve, 20))
  }

  return { ms: Date.now() - start, remoteAddr: direct()?.remoteAddr.toString() }
}

servePeerRequests(peer, {
  create: async request => {
    const handle = peer.repo!.create<Doc>({ text: request.text })
    return { url: handle.url }
  },
  change: async request => {
    const handle = await peer.repo!.find<Doc>(request.url)
    handle.change(doc => { doc.text = request.text })
    return { at: Date.now() }
  },
  wait: async request => waitForText(request.url, request.text, request.timeout ?? 30_000),
  dial: async request => dialDirect(request.addr, request.timeout ?? 30_000),
  connections: async () => ({ connections: peer.libp2p.getConnections().map(describe) }),
  reachability: async () => ({ reachability: peer.reachability() }),
  addrs: async () => ({ addrs: peer.libp2p.getMultiaddrs().map(ma => ma.toString()) })
})
