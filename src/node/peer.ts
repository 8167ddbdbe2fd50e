/**
 * `createPeer()`: a started docpeer node. It opens the data directory, loads or creates the peer's
 * key, builds the libp2p options of the environment and role, applies the caller's overrides,
 * starts libp2p (through helia when asked for) and an automerge-repo Repo syncing over it.
 */
import { NotStartedError, isPeerId } from '@libp2p/interface'
import { createLibp2p } from 'libp2p'
import { AccessController } from '../access/index.ts'
import { applyOverrides } from '../config/common.ts'
import { DEFAULT_ROLE, libp2pDefaults } from '../config/defaults.ts'
import { deferredIdentify } from '../config/deferred-identify.ts'
import { dhtService } from '../config/dht.ts'
import { accessStore } from '../storage/access-store.ts'
import { openDatastore } from '../storage/datastore.ts'
import { loadIdentity } from '../storage/identity.ts'
import { BootstrapKeeper, KEPT_PEER_TAG, parseBootstrapList } from './bootstrap-keeper.ts'
import { dialById } from './dial-by-id.ts'
import { parseDialTarget } from './dial-target.ts'
import { dialDiscoveredPeers, discoveredDials } from './discovery-dialer.ts'
import { reachabilityOf } from './reachability.ts'
import { startRepo } from './repo.ts'
import { assertSupportedRuntime } from './runtime.ts'
import { settlePendingHandles } from './settle-handles.ts'
import { bootstrapPeerIds, privateNetworkOptions } from './swarm-key.ts'
import { SyncFirst } from './sync-first.ts'
import { dialWebRTCOnceMore } from './webrtc-redial.ts'
import type { Reachability } from './reachability.ts'
import type { RepoOptions } from './repo.ts'
import type { AccessMode, PeerAccess } from '../access/index.ts'
import type { DocpeerServices, Libp2pOverrides } from '../config/common.ts'
import type { ConfigInit, PeerRole } from '../config/types.ts'
import type { DocpeerHelia, HeliaOptions, StartedHelia } from '../helia/index.ts'
import type { OpenedDatastore } from '../storage/datastore.ts'
import type { Libp2pNetworkAdapter } from '../sync/index.ts'
import type { Repo } from '@automerge/automerge-repo'
import type { AbortOptions, Connection, Libp2p, Logger, PeerId, PrivateKey } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Libp2pOptions } from 'libp2p'

export interface DocpeerInit extends ConfigInit {
  /**
   * Where the peer keeps its key and state: a directory in Node.js, an IndexedDB name prefix in
   * browsers. Without it everything is in memory and the peer id is new at every start.
   */
  dataDir?: string

  /**
   * Use this key instead of the one in the data directory.
   */
  privateKey?: PrivateKey

  /**
   * Run helia (IPFS blocks over bitswap; what OrbitDB runs on) on this peer's libp2p node. Blocks are
   * kept in the data directory (IndexedDB in browsers), in memory without one. helia is only
   * imported when asked for.
   *
   * @default false
   */
  helia?: boolean | HeliaOptions

  /**
   * An automerge-repo Repo on this peer (`peer.repo`), syncing documents with every reachable peer
   * that speaks docpeer's sync protocol. Its automerge peer id is the libp2p peer id; documents are
   * kept in the data directory (IndexedDB in browsers), in memory without one. Pass options to tune
   * it, or `false` for none (then build your own Repo with a `Libp2pNetworkAdapter`).
   *
   * @default true
   */
  repo?: boolean | RepoOptions

  /**
   * Dial the peers that discovery (mDNS, bootstrap, pubsub discovery, DHT answers) finds; libp2p
   * itself only records them. `true` keeps connections to at most DEFAULT_DISCOVERED_DIALS (4) of
   * them at a time, a number to at most that many, `false` dials none. The others stay in the peer
   * store: `dial(peerId)` reaches them.
   *
   * @default true
   */
  dialDiscovered?: boolean | number

  /**
   * Who may read and write a document that has no access list of its own: everyone (`'open'`,
   * automerge-repo's behaviour), or nobody but this peer (`'restricted'`: a server that serves only
   * what its owner shared with `peer.access.share()` or marked public). The lists are kept in the
   * data directory (`access.json`).
   *
   * @default 'open'
   */
  access?: AccessMode

  /**
   * A private network's pre-shared key (the text of a `swarm.key` file, `docpeer swarm-key new`):
   * TCP and WebSocket connections are encrypted with it before anything else, so peers without it
   * cannot finish a connection. WebRTC skips libp2p's connection protection, so it is refused.
   */
  swarmKey?: string | Uint8Array

  /**
   * Replace parts of the generated libp2p options: top-level keys replace the generated ones,
   * `services` entries are added or replaced one by one (set one to `undefined` to remove it).
   */
  libp2p?: Libp2pOverrides
}

export interface SyncWithOptions extends AbortOptions {
  /**
   * Remember the peer in the data directory's peer store: libp2p redials it with backoff when the
   * connection drops, and after this peer restarts, until `forget(peerId)`.
   *
   * @default false
   */
  keepAlive?: boolean
}

export interface Docpeer {
  readonly role: PeerRole
  readonly peerId: PeerId
  readonly libp2p: Libp2p<DocpeerServices>

  /**
   * The helia node, when `helia` was asked for; `helia.libp2p` is `libp2p`.
   */
  readonly helia?: DocpeerHelia

  /**
   * The automerge-repo Repo, unless `repo: false` was given.
   */
  readonly repo?: Repo

  /**
   * The libp2p network adapter of `repo`.
   */
  readonly syncAdapter?: Libp2pNetworkAdapter

  /**
   * The data directory, if the peer has one.
   */
  readonly dataDir?: string

  /**
   * Who may read and write this peer's documents: `share(url, peerId, 'read' | 'write')`,
   * `unshare(url, peerId)`, `get(url)`. Rights are bound to authenticated libp2p peer ids.
   */
  readonly access: PeerAccess

  /**
   * Dials a peer by multiaddr (a string or a `Multiaddr`) or by peer id (a `PeerId` or its string):
   * with no known address, the DHT finds one. A malformed string throws `InvalidMultiaddrError`
   * before anything is dialed.
   */
  dial(target: string | Multiaddr | PeerId, options?: AbortOptions): Promise<Connection>

  /**
   * Dials a peer and resolves once document sync with it is up, so `repo.find()` can fetch from it
   * straight away. Rejects if the peer does not speak docpeer's sync protocol, refuses this peer, or
   * the handshake does not finish in time (the adapter's `handshakeTimeout`, or `options.signal`).
   */
  syncWith(target: string | Multiaddr | PeerId, options?: SyncWithOptions): Promise<Connection>

  /**
   * Stops redialing a peer remembered with `syncWith(target, { keepAlive: true })`.
   */
  forget(peer: PeerId): Promise<void>

  /**
   * How this peer can be reached: public / behind NAT / unknown, the relays holding its
   * reservations, and whether each open connection is direct, relayed, WebRTC or WebRTC Direct.
   */
  reachability(): Reachability

  /**
   * Stops the Repo (writing pending changes to storage), helia and libp2p, and closes the data
   * directory.
   */
  stop(): Promise<void>
}

interface DocpeerParts {
  role: PeerRole
  libp2p: Libp2p<DocpeerServices>
  storage?: OpenedDatastore
  dataDir?: string
  helia?: StartedHelia
  access: AccessController
  /** what identify waits for on a new connection: told of the Repo's adapter once it exists */
  syncFirst: SyncFirst
}

/**
 * Peers remembered by `syncWith(..., { keepAlive: true })` carry this tag in the peer store; the
 * bootstrap keeper redials them (after a restart too). Not `keep-alive` prefixed: libp2p's reconnect
 * queue gives up on those after 5 tries and drops the tag.
 */
const SYNC_PEER_TAG = 'docpeer-sync'

/**
 * Bootstrap peers a daemon or browser keeps connected: one can fail and documents keep syncing
 * through the other while a third is dialed; not so many that every client holds every server.
 */
const DEFAULT_BOOTSTRAP_CONNECTIONS = 2

class DocpeerNode implements Docpeer {
  readonly role: PeerRole
  readonly libp2p: Libp2p<DocpeerServices>
  readonly dataDir?: string
  readonly helia?: DocpeerHelia
  repo?: Repo
  syncAdapter?: Libp2pNetworkAdapter
  readonly access: AccessController
  private readonly storage?: OpenedDatastore
  private readonly startedHelia?: StartedHelia
  private readonly log: Logger
  private stopping?: Promise<void>
  private readonly cleanups: Array<() => void> = []
  private keeper?: BootstrapKeeper
  private readonly syncFirst: SyncFirst

  constructor (parts: DocpeerParts) {
    this.role = parts.role
    this.helia = parts.helia?.helia
    this.startedHelia = parts.helia
    this.libp2p = parts.libp2p
    this.storage = parts.storage
    this.dataDir = parts.dataDir
    this.access = parts.access
    this.syncFirst = parts.syncFirst
    this.log = parts.libp2p.logger.forComponent('docpeer:peer')
  }

  /**
   * Starts the Repo; with a DHT, one that looks documents up and announces what it holds.
   */
  async startRepo (options: RepoOptions): Promise<void> {
    const server = this.role === 'server'
    const dht = this.libp2p.services.dht == null ? undefined : { libp2p: this.libp2p, server }
    const { repo, adapter, routing, common } = await startRepo(this.libp2p, options, { dataDir: this.dataDir, dht, access: this.access, server })
    this.repo = repo
    this.syncAdapter = adapter
    this.syncFirst.adapter = adapter

    if (routing != null) {
      this.onStop(() => { routing.stop() })
    }

    if (common != null) {
      this.onStop(() => { void common.stop() })
    }
  }

  /**
   * Starts keeping the bootstrap peers, and the peers remembered with `syncWith(..., { keepAlive:
   * true })` before a restart, connected.
   */
  async keepPeers (init: DocpeerInit): Promise<void> {
    const keeper = new BootstrapKeeper(this.libp2p, {
      bootstrap: init.bootstrap ?? [],
      connections: init.bootstrapConnections ?? (this.role === 'server' ? Infinity : DEFAULT_BOOTSTRAP_CONNECTIONS),
      ...init.bootstrapRetry
    })
    this.keeper = keeper
    this.onStop(() => { keeper.stop() })
    await keeper.start()
    const remembered = await this.libp2p.peerStore.all({ filters: [stored => stored.tags.has(SYNC_PEER_TAG)] })
    await Promise.all(remembered.map(async stored => { await keeper.keep(stored.id) }))
  }

  /**
   * Registers something to undo when the peer stops, before libp2p stops.
   */
  onStop (cleanup: () => void): void {
    this.cleanups.push(cleanup)
  }

  get peerId (): PeerId {
    return this.libp2p.peerId
  }

  async dial (target: string | Multiaddr | PeerId, options?: AbortOptions): Promise<Connection> {
    const parsed = parseDialTarget(target)
    this.log('dialing %s', parsed.toString())
    return isPeerId(parsed) ? dialById(this.libp2p, parsed, options) : dialWebRTCOnceMore(this.libp2p, parsed, this.log, options)
  }

  async syncWith (target: string | Multiaddr | PeerId, options?: SyncWithOptions): Promise<Connection> {
    if (this.syncAdapter == null) {
      throw new NotStartedError('This peer has no Repo (it was created with repo: false)')
    }

    const connection = await this.dial(target, options)
    // a peer this one chose: its documents are offered to it (see the share policy in access/)
    this.access.choose(connection.remotePeer.toString())
    await this.syncAdapter.syncWith(connection, options)

    if (options?.keepAlive === true) {
      await this.libp2p.peerStore.merge(connection.remotePeer, {
        tags: { [SYNC_PEER_TAG]: { value: 50 } }
      })
      await this.keeper?.keep(connection.remotePeer, [connection.remoteAddr])
    }
    return connection
  }

  reachability (): Reachability {
    return reachabilityOf(this.libp2p)
  }

  async forget (peer: PeerId): Promise<void> {
    await this.keeper?.forget(peer)
    await this.libp2p.peerStore.merge(peer, {
      tags: { [SYNC_PEER_TAG]: undefined }
    })
  }

  async stop (): Promise<void> {
    // a second stop() waits for the first instead of stopping twice
    this.stopping ??= (async () => {
      this.cleanups.splice(0).forEach(cleanup => { cleanup() })
      this.access.stop()
      // the Repo first: it writes pending changes to storage and says goodbye over libp2p
      await this.repo?.shutdown().catch(err => { this.log.error('could not shut the repo down cleanly - %e', err) })
      // helia stops its libp2p node itself, then its blockstore
      await (this.startedHelia?.stop() ?? this.libp2p.stop())

      if (this.repo != null) {
        // handles still loading keep 60 s timers that reject unhandled after the Repo is gone
        this.log('settled %d pending document handles', await settlePendingHandles(this.repo))
      }

      await this.storage?.close()
    })()

    await this.stopping
  }
}

/**
 * The libp2p options of the role, with the DHT service when asked for (kad-dht imported beside
 * the role's modules), without `@libp2p/bootstrap` (the keeper dials and keeps bootstrap peers: the
 * module dials once and gives up), and with identify waiting at `syncFirst`.
 */
async function peerDefaults (init: DocpeerInit, role: PeerRole, syncFirst: SyncFirst): Promise<Libp2pOptions<any>> {
  parseBootstrapList(init.bootstrap ?? [])
  const [defaults, dht] = await Promise.all([
    libp2pDefaults({ ...init, role, bootstrap: undefined }),
    dhtService(role, init.dht)
  ])

  if (dht != null) {
    defaults.services = { ...defaults.services, dht }
  }

  defaults.services = { ...defaults.services, identify: deferredIdentify(syncFirst) }
  return defaults
}

/**
 * Peers kept alive (bootstrap peers, `syncWith(..., { keepAlive: true })`) were chosen in an earlier
 * run: documents are announced to them again.
 */
async function chooseRememberedPeers (libp2p: Libp2p, access: AccessController): Promise<void> {
  const remembered = await libp2p.peerStore.all({
    filters: [peer => peer.tags.has(SYNC_PEER_TAG) || peer.tags.has(KEPT_PEER_TAG)]
  })

  for (const peer of remembered) {
    access.choose(peer.id.toString())
  }
}

/**
 * Creates and starts a docpeer node.
 *
 * @example
 * ```ts
 * import { createPeer } from 'docpeer'
 *
 * const peer = await createPeer({ role: 'daemon', dataDir: './.docpeer' })
 * console.info(peer.peerId.toString(), peer.libp2p.getMultiaddrs())
 * await peer.dial('/ip4/192.0.2.7/tcp/4101/p2p/12D3KooW...')
 * ```
 */
export async function createPeer (init: DocpeerInit = {}): Promise<Docpeer> {
  // on Node.js < 22 libp2p fails later with an error that names no cause
  assertSupportedRuntime()
  const role = init.role ?? DEFAULT_ROLE
  // identify on a new connection waits for the sync handshake on it (once the Repo is there)
  const syncFirst = new SyncFirst()
  // build the options first: a bad role, TLS file or bootstrap address fails before the data
  // directory is touched
  const defaults = await peerDefaults(init, role, syncFirst)
  const maxDialed = discoveredDials(init.dialDiscovered)
  const storage = init.dataDir == null ? undefined : await openDatastore(init.dataDir)

  try {
    const privateKey = init.privateKey ?? (storage == null ? undefined : await loadIdentity(storage.datastore, storage.location))
    const options = applyOverrides({
      ...defaults,
      ...(init.swarmKey == null ? {} : privateNetworkOptions(init.swarmKey, defaults.connectionGater)),
      privateKey,
      datastore: storage?.datastore
    }, init.libp2p)
    const access = new AccessController({
      mode: init.access,
      store: init.dataDir == null ? undefined : accessStore(init.dataDir, storage?.datastore),
      chosen: bootstrapPeerIds(init.bootstrap)
    })
    await access.start()

    let libp2p: Libp2p<DocpeerServices>
    let helia: StartedHelia | undefined

    if (init.helia != null && init.helia !== false) {
      // helia 7 creates the libp2p node from options; imported here so other peers never load it
      const { startHelia } = await import('../helia/index.ts')
      helia = await startHelia(options, {
        dataDir: init.dataDir,
        datastore: storage?.datastore,
        options: init.helia === true ? {} : init.helia
      })
      libp2p = helia.libp2p
    } else {
      libp2p = await createLibp2p<DocpeerServices>(options)
    }

    access.log = libp2p.logger.forComponent('docpeer:access')
    await chooseRememberedPeers(libp2p, access)
    const peer = new DocpeerNode({ role, libp2p, storage, dataDir: init.dataDir, helia, access, syncFirst })

    if (init.repo !== false) {
      try {
        await peer.startRepo(init.repo === true || init.repo == null ? {} : init.repo)
      } catch (err) {
        // the peer's stop() also closes the data directory
        await peer.stop()
        throw err
      }
    }

    await peer.keepPeers(init)

    if (maxDialed > 0) {
      peer.onStop(dialDiscoveredPeers(libp2p, {
        maxConnections: options.connectionManager?.maxConnections ?? Infinity,
        maxDialed
      }))
    }

    return peer
  } catch (err) {
    await storage?.close()
    throw err
  }
}
