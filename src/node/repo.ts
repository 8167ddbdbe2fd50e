/**
 * The automerge-repo `Repo` of a docpeer node: its automerge peer id is the node's libp2p peer id,
 * it syncs over docpeer's libp2p adapter (with the adapter's check that the two ids match turned on),
 * beside any other network adapters the caller adds, and keeps documents in the data directory.
 */
import { Repo } from '@automerge/automerge-repo'
import { AccessNetworkAdapter } from '../access/index.ts'
import { automergeStorage, storedDocumentLister } from '../storage/automerge-storage.ts'
import { Libp2pNetworkAdapter } from '../sync/index.ts'
import { UnionNetworkAdapter } from '../sync/union-adapter.ts'
import { CommonDocuments } from './common-documents.ts'
import { FindingRepo } from './finding-repo.ts'
import { LookupOrder } from './lookup-order.ts'
import { DocumentRouting } from './providers.ts'
import type { AccessController } from '../access/index.ts'
import type { Libp2pNetworkAdapterInit, Libp2pSyncComponents } from '../sync/index.ts'
import type { DocumentId, NetworkAdapterInterface, RepoConfig, PeerId as RepoPeerId, SharePolicy, StorageAdapterInterface } from '@automerge/automerge-repo'
import type { Connection, Libp2p } from '@libp2p/interface'

type ShareConfig = NonNullable<RepoConfig['shareConfig']>

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
   * Which documents this peer offers to which peers unasked (and asks them about when it looks for
   * one). Peers with read right can always fetch a document whose URL they know. Whatever it says,
   * nothing goes to a peer without read right.
   *
   * @default the peers this one chose (bootstrap peers, `syncWith()` targets) and each document's
   * named members
   */
  sharePolicy?: SharePolicy

  /**
   * How long `repo.find()` of a document the chosen peers do not have waits for the other connected
   * peers' answers and (with a DHT) looks for providers, dials them and waits for the document
   * before it rejects "unavailable", in ms.
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
  common?: CommonDocuments
}

export interface RepoHost {
  dataDir?: string
  /** with a DHT: the node whose DHT finds and announces documents */
  dht?: DocumentRoutingHost
  access?: AccessController
  /** a server: announces every document it holds, never asks peers what they hold */
  server?: boolean
}

/**
 * Creates the Repo and resolves once its libp2p adapter has connected (the Repo connects its
 * adapters only after reading its storage id): a peer dialed after `createPeer()` resolves then
 * finds the sync protocol handled.
 */
export async function startRepo (libp2p: Libp2pSyncComponents, options: RepoOptions, host: RepoHost = {}): Promise<StartedRepo> {
  const { dataDir, dht, access } = host
  const adapter = new Libp2pNetworkAdapter(libp2p, {
    peerIdMatchesLibp2p: true,
    ...options.sync
  })
  // the access lists apply to the libp2p adapter only: its peer ids are authenticated, those of
  // other adapters (a tab over BroadcastChannel, a WebSocket client of the bridge) are claims;
  // with them come the share hooks and the order in which lookups ask that adapter's peers
  const guard = access == null ? undefined : guardOf(adapter, access, libp2p)
  const guarded = guard?.guarded ?? adapter

  // with more adapters, one peer can be reachable through several (a tab over BroadcastChannel
  // and WebRTC): the union keeps the Repo from dropping it when only one of the ways closes
  const union = options.network == null || options.network.length === 0
    ? undefined
    : new UnionNetworkAdapter([guarded, ...options.network], { log: libp2p.logger.forComponent('docpeer:repo-network') })
  const network = union == null ? [guarded] : [union]
  // whether messages to a peer go through the access adapter, whose rules then decide what the
  // peer is offered. A tab reached over both BroadcastChannel and WebRTC gets its messages through
  // the way that announced it first (the channel), so a tab's rules apply to it: judged by the
  // libp2p rules while WebRTC was up, a tab that was not a chosen peer was dropped from a
  // document's sync when any share decision was made again (say, the server went away), and
  // kept out of it once WebRTC closed although the channel still reached it.
  const throughGuard = (peer: string): boolean => union == null
    ? guard?.guarded.reaches(peer) === true
    : union.routeOf(peer as RepoPeerId) === guarded

  // the share hooks read `repo` only once it exists
  const config: RepoConfig = {
    peerId: libp2p.peerId.toString() as RepoPeerId,
    network,
    storage: documentStorage(options.storage, dataDir),
    ...(guard != null
      ? { shareConfig: shareConfig(guard, throughGuard, documentId => repo.handles[documentId]?.isReady() ?? false, options.sharePolicy) }
      : { sharePolicy: options.sharePolicy })
  }

  // with a DHT, find() looks providers up and held documents are announced (finding-repo.ts)
  const syncWithProvider = async (connection: Connection, { signal, documentId }: { signal: AbortSignal, documentId: string }): Promise<unknown> => {
    // a provider the DHT found may be asked about this document (the share policy asks only
    // chosen peers and members otherwise)
    access?.askAbout(connection.remotePeer.toString(), documentId)
    return adapter.syncWith(connection, { signal })
  }
  // created once the Repo is (it reads the Repo's handles); told of documents the app opens
  const told: { common?: CommonDocuments } = {}
  const routing = dht == null ? undefined : new DocumentRouting(dht.libp2p, { syncWith: syncWithProvider })
  const repo: Repo = routing == null && guard == null
    ? new Repo(config)
    : new FindingRepo(config, {
      routing,
      lookups: guard?.lookups,
      lookupTimeout: options.lookupTimeout,
      announceFound: dht?.server,
      onOpened: documentId => { told.common?.opened(documentId) },
      holds: async (peer, documentId) => await told.common?.holds(peer, documentId) ?? false
    })

  // open documents keep syncing with connected peers that hold them when no chosen peer is left
  let common: CommonDocuments | undefined

  if (guard != null) {
    guard.access.counts = () => guard.guarded.stats()
    guard.access.onChange(() => { repo.shareConfigChanged() })
    common = new CommonDocuments(libp2p, guard.guarded, guard.access, repo, {
      asks: host.server !== true,
      chosenConnected: () => guard.lookups.chosenConnected(),
      stored: options.storage == null || options.storage === 'data-dir' ? storedLister(dataDir) : undefined
    })
    told.common = common
    await common.start()
  }

  await adapter.whenReady()

  return { repo, adapter, routing, common }
}

/**
 * The libp2p adapter behind the access lists, and whom lookups ask among its peers.
 */
interface Guard {
  guarded: AccessNetworkAdapter
  access: AccessController
  lookups: LookupOrder
}

function guardOf (adapter: Libp2pNetworkAdapter, access: AccessController, libp2p: Libp2pSyncComponents): Guard {
  const guarded = new AccessNetworkAdapter(adapter, access.list, { log: libp2p.logger.forComponent('docpeer:access') })
  return { guarded, access, lookups: new LookupOrder(guarded, access) }
}

/**
 * automerge-repo's share hooks from the access lists, for peers whose messages go through the
 * access adapter (`throughGuard`); peers of other adapters keep automerge-repo's defaults (or the
 * caller's `sharePolicy`).
 */
function shareConfig ({ guarded, access, lookups }: Guard, throughGuard: (peer: string) => boolean, holds: (documentId: DocumentId) => boolean, policy?: SharePolicy): ShareConfig {
  return {
    announce: async (peer, documentId) => {
      if (!throughGuard(peer)) {
        return policy?.(peer, documentId) ?? true
      }

      if (documentId == null) {
        return policy?.(peer) ?? access.isChosen(peer)
      }

      if (access.list.rightOf(peer, documentId) === 'none') {
        return false
      }

      // looking for a document sends its id, not its content: an open peer asks its chosen peers
      // by id about one its app looks for, and the other connected peers by key, not here
      // (lookup-order.ts). A lookup a peer asked for goes to the chosen peers only: passed to every
      // peer, it would make each of them keep a handle for the id (see the docflood soak)
      // (after the current task: `repo.create()` registers its handle before it is ready)
      if (access.mode === 'open' && !(await Promise.resolve().then(() => holds(documentId))) && !guarded.heardOf(documentId) && lookups.asks(peer, documentId)) {
        return true
      }

      return policy?.(peer, documentId) ?? access.announces(peer, documentId)
    },
    access: async (peer, documentId) => !throughGuard(peer) || access.list.rightOf(peer, documentId) !== 'none'
  }
}

function storedLister (dataDir?: string): (() => Promise<DocumentId[]>) | undefined {
  return dataDir == null ? undefined : storedDocumentLister(dataDir)
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
