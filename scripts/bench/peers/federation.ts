/**
 * Workload 8: a federation of three servers and many peers, several peers per process. docpeer:
 * `server`-role peers bootstrapping to each other (a mesh), daemons given all three servers (they
 * keep the default 2); anchor: automerge-repo Repos with a WebSocket server each, connected to the
 * other servers with WebSocket client adapters, and peers with client adapters to two servers.
 */
import { once } from 'node:events'
import { Repo } from '@automerge/automerge-repo'
import { WebSocketClientAdapter, WebSocketServerAdapter } from '@automerge/automerge-repo-network-websocket'
import { peerIdFromString } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { WebSocketServer } from 'ws'
import { findDoc, loadDocpeer, waitForPeers } from '../lib/sync-peer.ts'
import type { Docpeer } from '../../../src/index.ts'
import type { SyncSide } from '../lib/sync-peer.ts'
import type { AutomergeUrl, DocHandle, NetworkAdapterInterface } from '@automerge/automerge-repo'

interface Member {
  repo: Repo
  peer?: Docpeer
  close(): Promise<void>
}

interface SharedDoc {
  writers: Record<string, number>
  after?: number
}

const members: Member[] = []
const handles: Array<DocHandle<SharedDoc>> = []
let serverIds: string[] = []

export function pid (): number {
  return process.pid
}

/**
 * This process's server. Returns where peers reach it (docpeer: a multiaddr with its peer id).
 */
export async function server (side: SyncSide, bootstrap: string[]): Promise<{ address: string, peerId?: string }> {
  if (side === 'docpeer') {
    const { createPeer } = await loadDocpeer()
    const peer = await createPeer({
      role: 'server',
      mdns: false,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap,
      // as in w5: a burst of peers from one address (this machine) is the workload
      inboundConnectionThreshold: 1000,
      repo: { storage: 'memory' }
    })
    members.push({ repo: peer.repo!, peer, close: async () => { await peer.stop() } })
    return { address: peer.libp2p.getMultiaddrs()[0].toString(), peerId: peer.peerId.toString() }
  }

  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await once(wss, 'listening')
  const network: NetworkAdapterInterface[] = [new WebSocketServerAdapter(wss as any), ...bootstrap.map(url => new WebSocketClientAdapter(url))]
  const repo = new Repo({ network })
  members.push({ repo, close: async () => { await repo.shutdown(); wss.close() } })
  return { address: `ws://127.0.0.1:${(wss.address() as { port: number }).port}` }
}

/**
 * `count` peers, peer `first + i` of the whole network; each is given the servers (docpeer: all
 * three; anchor: two, round robin). Resolves once every one has two servers, with the time that took.
 */
export async function peers (side: SyncSide, count: number, first: number, servers: string[], ids: string[]): Promise<{ ms: number, peerIds: string[] }> {
  serverIds = ids
  const started = performance.now()
  const { createPeer } = side === 'docpeer' ? await loadDocpeer() : { createPeer: undefined }

  await Promise.all(Array.from({ length: count }, async (_, i) => {
    if (createPeer != null) {
      const peer = await createPeer({
        mdns: false,
        listen: ['/ip4/127.0.0.1/tcp/0'],
        bootstrap: servers,
        ...(process.env.BENCH_DIAL_DISCOVERED != null ? { dialDiscovered: JSON.parse(process.env.BENCH_DIAL_DISCOVERED) } : {}),
        repo: { storage: 'memory' }
      })
      members.push({ repo: peer.repo!, peer, close: async () => { await peer.stop() } })
      await waitForServers(peer, 2)
    } else {
      const n = first + i
      const network = [servers[n % servers.length], servers[(n + 1) % servers.length]].map(url => new WebSocketClientAdapter(url))
      const repo = new Repo({ network })
      members.push({ repo, close: async () => { await repo.shutdown() } })
      await waitForPeers(repo, 2)
    }
  }))

  return { ms: performance.now() - started, peerIds: members.map(member => member.peer?.peerId.toString() ?? '') }
}

async function waitForServers (peer: Docpeer, count: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs

  // a server counts once its sync is up (it is a Repo peer)
  while (serverIds.filter(id => peer.repo!.peers.includes(id as any)).length < Math.min(count, serverIds.length)) {
    if (Date.now() > deadline) {
      throw new Error(`only ${peer.repo!.peers.length} servers after ${timeoutMs} ms`)
    }
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

export function createDoc (): AutomergeUrl {
  return members[0].repo.create<SharedDoc>({ writers: {} }).url
}

export async function join (url: AutomergeUrl): Promise<number> {
  const started = performance.now()
  await Promise.all(members.map(async (member, i) => {
    handles[i] = await findDoc<SharedDoc>(member.repo, url)
  }))
  return performance.now() - started
}

async function whenAll (predicate: (doc: SharedDoc) => boolean): Promise<void> {
  await Promise.all(handles.map(async handle => new Promise<void>(resolve => {
    const check = (): void => {
      if (predicate(handle.doc())) {
        handle.off('change', check)
        resolve()
      }
    }
    handle.on('change', check)
    check()
  })))
}

/**
 * Every peer of this process writes its own key; resolves when they all see `total` keys.
 */
export async function write (first: number, total: number): Promise<void> {
  const seen = whenAll(doc => Object.keys(doc.writers).length >= total)
  handles.forEach((handle, i) => {
    handle.change(doc => { doc.writers[`peer-${first + i}`] = first + i })
  })
  await seen
}

/**
 * The first member of this process (the server, in a server process) creates a document nobody is
 * told about (the reach figure: who gets it unasked).
 */
export function createUnasked (): AutomergeUrl {
  return members[0].repo.create({ note: 'nobody asked for this one' }).url
}

/**
 * How many members of this process hold the document of `url`, not counting its creator: a Repo
 * holds it once a peer pushed or offered it (no one here asked for it).
 */
export function holders (url: AutomergeUrl, creatorHere: boolean): number {
  const id = url.slice('automerge:'.length)
  return members.filter((member, i) => !(creatorHere && i === 0) && (member.repo.handles as Record<string, DocHandle<unknown> | undefined>)[id]?.isReady() === true).length
}

/**
 * The first member of this process opens the document of `url` (one that no peer of its own
 * process holds). Returns the time that took, in ms.
 */
export async function findOne (url: AutomergeUrl): Promise<number> {
  const started = performance.now()
  await findDoc(members[0].repo, url)
  return performance.now() - started
}

/**
 * How many members of this process know the id of `url` (a handle in any state: asked about it,
 * or looking for it themselves), leaving out the members at `skip`.
 */
export function heardOf (url: AutomergeUrl, skip: number[]): number {
  const id = url.slice('automerge:'.length)
  return members.filter((member, i) => !skip.includes(i) && (member.repo.handles as Record<string, DocHandle<unknown> | undefined>)[id] != null).length
}

/**
 * The first peer of this process writes `after = value`.
 */
export function writeAfter (value: number): void {
  handles[0].change(doc => { doc.after = value })
}

export async function waitAfter (value: number): Promise<void> {
  await whenAll(doc => doc.after === value)
}

/**
 * Peer `index` of this process dials `target` by peer id alone. Returns the time, in ms, or NaN
 * when this docpeer has no DHT.
 */
export async function dialById (index: number, target: string): Promise<number> {
  const peer = members[index].peer

  if (peer?.libp2p.services.dht == null) {
    return NaN
  }

  // discovery may have connected the two already, or left the target's address in the peer
  // store: forget both, so the dial finds the address through the DHT, as for a peer never heard of
  const id = peerIdFromString(target)
  await peer.libp2p.hangUp(id)
  await peer.libp2p.peerStore.delete(id)

  const started = performance.now()
  await peer.dial(target, { signal: AbortSignal.timeout(30_000) })
  return performance.now() - started
}

/**
 * Peer `index` announces a fresh key. Returns the key and how long the provide took, in ms.
 */
export async function provide (index: number): Promise<{ key: string, ms: number }> {
  const peer = members[index].peer
  const digest = await sha256.digest(new TextEncoder().encode(`docpeer-bench:${Math.random()}`))
  const key = CID.createV1(raw.code, digest)

  if (peer?.libp2p.services.dht == null) {
    return { key: key.toString(), ms: NaN }
  }

  const started = performance.now()
  await peer.libp2p.contentRouting.provide(key, { signal: AbortSignal.timeout(30_000) })
  return { key: key.toString(), ms: performance.now() - started }
}

/**
 * Peer `index` looks `key` up. Returns the time to the first provider, in ms (NaN if none).
 */
export async function firstProvider (index: number, key: string): Promise<number> {
  const peer = members[index].peer

  if (peer?.libp2p.services.dht == null) {
    return NaN
  }

  const started = performance.now()

  // eslint-disable-next-line no-unreachable-loop -- the first provider is all this measures
  for await (const _provider of peer.libp2p.contentRouting.findProviders(CID.parse(key), { signal: AbortSignal.timeout(30_000) })) {
    return performance.now() - started
  }

  return NaN
}

/**
 * Connections per docpeer peer of this process (the DHT must not make a mesh of them).
 */
export function connectionCounts (): number[] {
  return members.filter(member => member.peer != null).map(member => member.peer!.libp2p.getConnections().length)
}

export async function stop (): Promise<void> {
  await Promise.all(members.splice(0).map(async member => { await member.close() }))
}
