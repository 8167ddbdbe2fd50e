/**
 * The automerge-repo `Repo` of a docpeer node: its automerge peer id is the node's libp2p peer id,
 * it syncs over docpeer's libp2p adapter (with the adapter's check that the two ids match turned on),
 * beside any other network adapters the caller adds, and keeps documents in the data directory.
 */
import { Repo } from '@automerge/automerge-repo'
import { automergeStorage } from '../storage/automerge-storage.ts'
import { Libp2pNetworkAdapter } from '../sync/index.ts'
import { UnionNetworkAdapter } from '../sync/union-adapter.ts'
import { FindingRepo } from './finding-repo.ts'
import { DocumentRouting } from './providers.ts'
import type { Libp2pNetworkAdapterInit, Libp2pSyncComponents } from '../sync/index.ts'
import type { NetworkAdapterInterface, PeerId as RepoPeerId, SharePolicy, StorageAdapterInterface } from '@automerge/automerge-repo'
import type { Libp2p } from '@libp2p/interface'

export interface RepoOptions {
  /**
   * Options of docpeer's libp2p sync adapter. `peerIdMatchesLibp2p` defaults to true here.
   */
  sync?: Libp2pNetworkAdapterInit

  /**
   * More network adapters beside docpeer's, e.g. automerge's BroadcastChannel adapter so tabs of
   * one origin sync without the network, or a WebSocket server adapter for plain automerge clients.
   */
  network?: NetworkAdapterInterface[]

  /**
   * Where documents are kept: `'data-dir'` (files in Node.js, IndexedDB in browsers; memory when the
   * peer has no data directory), `'memory'`, or a storage adapter of your own.
   *
   * @default 'data-dir'
   */
  storage?: 'data-dir' | 'memory' | StorageAdapterInterface

  /**
   * Which documents this peer offers to which peers unasked. Peers can always fetch a document
   * whose URL they know.
   *
   * @default share every document with every peer
   */
  sharePolicy?: SharePolicy

  /**
   * With a DHT: how long `repo.find()` of a document no connected peer has looks for providers,
   * dials them and waits for the document before it rejects "unavailable", in ms.
   *
   * @default 15000
   */
  lookupTimeout?: number
}

/**
 * The node whose DHT finds and announces documents, and whether it is a server (announces every
 * document it holds).
 */
export interface DocumentRoutingHost {
  libp2p: Libp2p
  server: boolean
}

export interface StartedRepo {
  repo: Repo
  adapter: Libp2pNetworkAdapter
  routing?: DocumentRouting
}

/**
 * Creates the Repo and resolves once its libp2p adapter has connected (the Repo connects its
 * adapters only after reading its storage id): a peer dialed after `createPeer()` resolves then
 * finds the sync protocol handled.
 */
export async function startRepo (libp2p: Libp2pSyncComponents, options: RepoOptions, dataDir?: string, dht?: DocumentRoutingHost): Promise<StartedRepo> {
  const adapter = new Libp2pNetworkAdapter(libp2p, {
    peerIdMatchesLibp2p: true,
    ...options.sync
  })

  // with more adapters, one peer can be reachable through several (a tab over BroadcastChannel
  // and WebRTC): the union keeps the Repo from dropping it when only one of the ways closes
  const network = options.network == null || options.network.length === 0
    ? [adapter]
    : [new UnionNetworkAdapter([adapter, ...options.network], { log: libp2p.logger.forComponent('docpeer:repo-network') })]

  const config = {
    peerId: libp2p.peerId.toString() as RepoPeerId,
    network,
    storage: documentStorage(options.storage, dataDir),
    sharePolicy: options.sharePolicy
  }

  // with a DHT, find() looks providers up and held documents are announced (finding-repo.ts)
  const routing = dht == null ? undefined : new DocumentRouting(dht.libp2p, { syncWith: async (connection, opts) => adapter.syncWith(connection, opts) })
  const repo = routing == null ? new Repo(config) : new FindingRepo(config, { routing, lookupTimeout: options.lookupTimeout, announceFound: dht?.server })

  await adapter.whenReady()

  return { repo, adapter, routing }
}

function documentStorage (choice: RepoOptions['storage'], dataDir?: string): StorageAdapterInterface | undefined {
  if (typeof choice === 'object') {
    return choice
  }

  if (choice === 'memory' || dataDir == null) {
    return undefined
  }

  return automergeStorage(dataDir)
}
