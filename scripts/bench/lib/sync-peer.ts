/**
 * The pluggable transport side of workloads 1-5: an automerge-repo `Repo` connected either through
 * docpeer (a libp2p node from `createPeer` + `Libp2pNetworkAdapter`) or through the anchor,
 * automerge's official WebSocket adapters (`WebSocketServerAdapter`, a.k.a. NodeWSServerAdapter, on
 * a `ws` server, and `WebSocketClientAdapter`, a.k.a. BrowserWebSocketClientAdapter, both run in
 * Node). Everything listens on 127.0.0.1 only, and docpeer nodes have mDNS off.
 *
 * Both sides get the same `Repo` config (no storage, default share policy), so the figures differ
 * only by the network adapter and what is under it.
 */
import { once } from 'node:events'
import { Repo } from '@automerge/automerge-repo'
import { WebSocketClientAdapter, WebSocketServerAdapter } from '@automerge/automerge-repo-network-websocket'
import { WebSocketServer } from 'ws'
import type { AutomergeUrl, DocHandle, NetworkAdapterInterface } from '@automerge/automerge-repo'

export type SyncSide = 'docpeer' | 'anchor'

export const SYNC_SIDES: readonly SyncSide[] = ['docpeer', 'anchor']

export interface SyncPeerInit {
  /**
   * Accept connections (the anchor needs a WebSocket server for that; a docpeer node always listens).
   */
  listen?: boolean

  /**
   * The peer many others connect to: docpeer takes the `server` role (and accepts a burst of
   * inbound connections), the anchor is a WebSocket server either way.
   */
  hub?: boolean
}

export interface SyncPeer {
  readonly side: SyncSide
  readonly repo: Repo

  /**
   * Where other peers reach this one, if it listens.
   */
  readonly address?: string

  /**
   * Starts connecting to a listening peer. Resolves when the connection is under way (docpeer: the
   * libp2p connection is up; anchor: the adapter is added). `peer` events tell when sync can start.
   */
  connect(address: string): Promise<void>

  /**
   * docpeer only: connects as a client of that peer does (`syncWith()`: the peer becomes one this
   * node chose, which it offers its documents to and asks first). Resolves when sync is up.
   */
  syncWith?(address: string): Promise<void>

  /**
   * Open connections (docpeer: libp2p's; the anchor's are its adapters, not counted).
   */
  connections?(): number

  stop(): Promise<void>
}

/**
 * Thrown when this checkout has no `Libp2pNetworkAdapter` yet.
 */
export class AdapterMissingError extends Error {
  static name = 'AdapterMissingError'
  name = AdapterMissingError.name
}

export async function createSyncPeer (side: SyncSide, init: SyncPeerInit = {}): Promise<SyncPeer> {
  return side === 'docpeer' ? createDocpeerPeer(init) : createAnchorPeer(init)
}

/**
 * Resolves once `repo` has at least `count` peers.
 */
export async function waitForPeers (repo: Repo, count: number, timeoutMs = 60_000): Promise<void> {
  if (repo.peers.length >= count) {
    return
  }

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      repo.networkSubsystem.off('peer', onPeer)
      reject(new Error(`only ${repo.peers.length} of ${count} peers after ${timeoutMs} ms`))
    }, timeoutMs)
    const onPeer = (): void => {
      // the repo adds the peer in its own 'peer' listener; look once that has run
      queueMicrotask(() => {
        if (repo.peers.length >= count) {
          clearTimeout(timer)
          repo.networkSubsystem.off('peer', onPeer)
          resolve()
        }
      })
    }
    repo.networkSubsystem.on('peer', onPeer)
  })
}

async function createAnchorPeer (init: SyncPeerInit): Promise<SyncPeer> {
  let server: WebSocketServer | undefined
  const network: NetworkAdapterInterface[] = []
  let address: string | undefined

  if (init.listen === true || init.hub === true) {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await once(server, 'listening')
    const port = (server.address() as { port: number }).port
    address = `ws://127.0.0.1:${port}`
    network.push(new WebSocketServerAdapter(server as any))
  }

  const repo = new Repo({ network })

  return {
    side: 'anchor',
    repo,
    address,
    async connect (target: string): Promise<void> {
      repo.networkSubsystem.addNetworkAdapter(new WebSocketClientAdapter(target))
    },
    async stop (): Promise<void> {
      await repo.shutdown()

      if (server != null) {
        for (const client of server.clients) {
          client.terminate()
        }
        server.close()
      }
    }
  }
}

/**
 * docpeer's public entry: this checkout's, or (for experiments and before/after runs)
 * BENCH_DOCPEER_SRC=/path/to/another/src. The public entry, so a src/ of another layout loads the
 * same way.
 */
export async function loadDocpeer (): Promise<typeof import('../../../src/index.ts')> {
  const src = (process.env.BENCH_DOCPEER_SRC ?? '') !== '' ? process.env.BENCH_DOCPEER_SRC : new URL('../../../src', import.meta.url).pathname
  return import(`${src}/index.ts`)
}

async function createDocpeerPeer (init: SyncPeerInit): Promise<SyncPeer> {
  const { createPeer } = await loadDocpeer()
  // for experiments: BENCH_DOCPEER_REMOVE_SERVICES=pubsub,autoNAT runs docpeer without those services
  const removed = (process.env.BENCH_DOCPEER_REMOVE_SERVICES ?? '').split(',').filter(name => name !== '')
  const overrides: Record<string, any> = {}

  if (removed.length > 0) {
    overrides.services = Object.fromEntries(removed.map(name => [name, undefined]))
    // the circuit relay transport and pubsub discovery need identify and pubsub
    const { tcp } = await import('@libp2p/tcp')
    overrides.transports = [tcp()]
    overrides.peerDiscovery = []
  }

  // for experiments: BENCH_HUB_MAX_PENDING=100 lets the hub handshake that many inbound
  // connections at once (libp2p's default is 10)
  if (init.hub === true && (process.env.BENCH_HUB_MAX_PENDING ?? '') !== '') {
    overrides.connectionManager = {
      maxConnections: 1000,
      inboundConnectionThreshold: 1000,
      maxIncomingPendingConnections: Number(process.env.BENCH_HUB_MAX_PENDING)
    }
  }

  const node = await createPeer({
    libp2p: overrides,
    role: init.hub === true ? 'server' : 'daemon',
    mdns: false,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    // a hub takes all its spokes at once; libp2p's default resets the sixth connection in a second
    inboundConnectionThreshold: init.hub === true ? 1000 : undefined,
    // the peer's own Repo (docpeer's Libp2pNetworkAdapter), in memory like the anchor's
    repo: { storage: 'memory' },
    // for experiments: BENCH_DIAL_DISCOVERED=0 (as in w8) for the peers other than the hub
    ...(init.hub !== true && process.env.BENCH_DIAL_DISCOVERED != null ? { dialDiscovered: JSON.parse(process.env.BENCH_DIAL_DISCOVERED) } : {})
  })

  if (node.repo == null) {
    await node.stop()
    throw new AdapterMissingError('this docpeer has no Repo on its peers')
  }

  const repo = node.repo
  const address = node.libp2p.getMultiaddrs().find(ma => ma.toString().startsWith('/ip4/127.0.0.1/tcp/'))?.toString()

  return {
    side: 'docpeer',
    repo,
    address,
    async connect (target: string): Promise<void> {
      await node.dial(target)
    },
    async syncWith (target: string): Promise<void> {
      await node.syncWith(target)
    },
    connections: () => node.libp2p.getConnections().length,
    async stop (): Promise<void> {
      await node.stop()
    }
  }
}

/**
 * Finds of a document that automerge-repo 2.5.6 declared unavailable before it arrived.
 */
export let findRetries = 0

/**
 * `repo.find()` that waits on when automerge-repo 2.5.6 declares the document unavailable while it
 * is on its way (seen under load with the anchor and with docpeer alike): the handle turns ready
 * when the document arrives. Such finds are counted and reported with the figures.
 */
export async function findDoc<T> (repo: Repo, url: AutomergeUrl, timeoutMs = 60_000): Promise<DocHandle<T>> {
  const handle = await repo.find<T>(url, { allowableStates: ['ready', 'unavailable'] })

  if (handle.isReady()) {
    return handle
  }

  findRetries++
  let timer: ReturnType<typeof setTimeout> | undefined

  try {
    await Promise.race([
      handle.whenReady(['ready']),
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => { reject(new Error(`${url} still unavailable after ${timeoutMs} ms`)) }, timeoutMs)
      })
    ])
  } finally {
    clearTimeout(timer)
  }

  return handle
}
