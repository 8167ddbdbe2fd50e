/**
 * `Libp2pNetworkAdapter`: automerge-repo sync over a libp2p protocol stream.
 *
 * Wire protocol (`/docpeer/automerge-repo/1.0.0`): every frame is a varint length prefix and one
 * message in automerge-repo's CBOR encoding. Each side writes on a stream it opened itself and
 * reads on the stream the remote opened, so two peers hold two one-way streams:
 *
 * ```
 * opener                                   acceptor
 *   join { senderId, peerMetadata, supportedProtocolVersions }  ->
 *                       <-  peer { senderId, peerMetadata, selectedProtocolVersion, targetId }
 *                       <-  or error { message }, then the acceptor closes the stream
 *   repo messages (sync, request, ephemeral, ...)               ->
 * ```
 *
 * Why one stream per direction: both peers open a stream the moment a connection appears, so
 * simultaneous open is the normal case, not the exception. With one writer per stream there is
 * nothing to tie-break: each side keeps the one stream it opened and the one it accepted, and the
 * peer is up (one `peer-candidate`) once both handshakes are done. A peer that receives a `join`
 * without having a stream of its own to that remote opens one ("dials back").
 *
 * Trust: the remote's libp2p identity (`connection.remotePeer`) is authenticated by the connection
 * encryption. The automerge peer id it presents in the handshake is bound to its streams: a frame
 * naming another sender, or a target other than us, resets the stream. The exception is
 * `ephemeral` messages, which automerge-repo relays hop by hop with the origin's `senderId`
 * (DocSynchronizer.receiveEphemeralMessage): they must be addressed to us but may name any origin.
 */
import { NetworkAdapter } from '@automerge/automerge-repo/slim'
import { InvalidMessageError, ProtocolError, TimeoutError } from '@libp2p/interface'
import {
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_MAX_INBOUND_STREAMS,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_MAX_OUTBOUND_STREAMS,
  MAX_HANDSHAKE_SIZE,
  SYNC_PROTOCOL
} from './constants.ts'
import {
  DuplicatePeerIdError,
  HandshakeRejectedError,
  PeerIdMismatchError,
  PeerNotAllowedError,
  SenderMismatchError,
  SyncStoppedError,
  TargetMismatchError,
  UnsupportedProtocolVersionError
} from './errors.ts'
import { FramedStream } from './framed-stream.ts'
import {
  SUPPORTED_PROTOCOL_VERSIONS,
  cleanPeerMetadata,
  isErrorMessage,
  isJoinMessage,
  isPeerMessage,
  isRepoFrame,
  selectProtocolVersion
} from './messages.ts'
import type { ErrorMessage, JoinMessage, PeerMessage } from './messages.ts'
import type { Message, PeerId as RepoPeerId, PeerMetadata } from '@automerge/automerge-repo/slim'
import type { AbortOptions, Connection, Libp2p, Logger, PeerId, Stream, Topology } from '@libp2p/interface'

/**
 * The parts of a libp2p node the adapter uses. A full `Libp2p` node fits.
 */
export type Libp2pSyncComponents = Pick<Libp2p, 'peerId' | 'logger' | 'handle' | 'unhandle' | 'register' | 'unregister' | 'getConnections' | 'addEventListener' | 'removeEventListener'>

export interface Libp2pNetworkAdapterInit {
  /**
   * The libp2p protocol id. Change it only to run separate sync networks on one node.
   *
   * @default '/docpeer/automerge-repo/1.0.0'
   */
  protocol?: string

  /**
   * Largest message, in bytes, sent or accepted. A larger outgoing message is logged and dropped;
   * a larger incoming frame resets the stream. automerge-repo sends a whole document in one
   * message when a peer first asks for it, so this also caps the size of a document that syncs.
   *
   * @default 67108864 (64 MiB)
   */
  maxMessageSize?: number

  /**
   * Milliseconds allowed for opening a stream and completing the `join`/`peer` handshake.
   *
   * @default 10000
   */
  handshakeTimeout?: number

  /**
   * Require the automerge peer id a remote presents to equal its authenticated libp2p peer id
   * (`connection.remotePeer.toString()`); a remote that presents another id gets an `error` and
   * the stream is closed. Turn this on when the Repo's `peerId` is the libp2p peer id, as
   * docpeer's `createPeer` does: automerge-repo then cannot be told one peer's messages came from
   * another.
   *
   * @default false
   */
  peerIdMatchesLibp2p?: boolean

  /**
   * When set, only these libp2p peers (peer id strings or `PeerId`s) may sync.
   */
  allow?: Array<string | PeerId>

  /**
   * These libp2p peers may not sync. Checked before `allow`.
   */
  deny?: Array<string | PeerId>

  /**
   * Sync over limited connections, such as circuit relay v2 connections with data or time limits.
   * Off by default: a relay's limits (128 KiB by default in docpeer's server role) end the
   * connection in the middle of a document; sync waits for a direct connection instead.
   *
   * @default false
   */
  runOnLimitedConnection?: boolean

  /**
   * Inbound sync streams allowed per connection (the protocol uses one).
   *
   * @default 4
   */
  maxInboundStreams?: number

  /**
   * Outbound sync streams allowed per connection (the protocol uses one).
   *
   * @default 4
   */
  maxOutboundStreams?: number
}

/**
 * One `connect()` ... `disconnect()` period. Everything started in a session checks that it is
 * still the current one before acting, so nothing from an old session leaks into a new one.
 */
interface Session {
  readonly peerId: RepoPeerId
  readonly peerMetadata: PeerMetadata
  readonly controller: AbortController
  readonly streams: Set<Stream>
  /** handshakes in progress, for whenReady() */
  readonly handshakes: Set<Promise<unknown>>
  topologyId?: string
}

interface Opening {
  framed?: FramedStream
}

/**
 * What we know about one remote libp2p peer.
 */
interface Remote {
  readonly key: string
  readonly libp2pPeer: PeerId
  /** the automerge peer id it presented */
  repoPeerId?: RepoPeerId
  peerMetadata?: PeerMetadata
  /** our stream to it, after its `peer` reply */
  outbound?: FramedStream
  /** an outbound stream being opened or in handshake */
  opening?: Opening
  /** its stream to us, after its `join` */
  inbound?: FramedStream
  /** `peer-candidate` was emitted */
  up: boolean
  readonly upPromise: PromiseWithResolvers<void>
}

async function raceTimeout (promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<void>(resolve => { timer = setTimeout(resolve, ms) })

  try {
    await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

function toPeerIdSet (list?: Array<string | PeerId>): Set<string> | undefined {
  return list == null ? undefined : new Set(list.map(p => p.toString()))
}

/**
 * An automerge-repo `NetworkAdapter` that syncs with the peers of a libp2p node.
 *
 * @example
 * ```ts
 * import { Repo } from '@automerge/automerge-repo'
 * import { Libp2pNetworkAdapter } from 'docpeer'
 *
 * const repo = new Repo({ network: [new Libp2pNetworkAdapter(libp2p)] })
 * ```
 */
export class Libp2pNetworkAdapter extends NetworkAdapter {
  private readonly components: Libp2pSyncComponents
  private readonly log: Logger
  private readonly protocol: string
  private readonly maxMessageSize: number
  private readonly handshakeTimeout: number
  private readonly peerIdMatchesLibp2p: boolean
  private readonly allow?: Set<string>
  private readonly deny?: Set<string>
  private readonly runOnLimitedConnection: boolean
  private readonly maxInboundStreams: number
  private readonly maxOutboundStreams: number
  private readonly remotes: Map<string, Remote>
  private readonly byRepoPeerId: Map<RepoPeerId, Remote>
  private readonly ready: PromiseWithResolvers<void>
  private isReadyFlag: boolean
  private session?: Session

  constructor (components: Libp2pSyncComponents, init: Libp2pNetworkAdapterInit = {}) {
    super()
    this.components = components
    this.log = components.logger.forComponent('docpeer:sync')
    this.protocol = init.protocol ?? SYNC_PROTOCOL
    this.maxMessageSize = init.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE
    this.handshakeTimeout = init.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT
    this.peerIdMatchesLibp2p = init.peerIdMatchesLibp2p ?? false
    this.allow = toPeerIdSet(init.allow)
    this.deny = toPeerIdSet(init.deny)
    this.runOnLimitedConnection = init.runOnLimitedConnection ?? false
    this.maxInboundStreams = init.maxInboundStreams ?? DEFAULT_MAX_INBOUND_STREAMS
    this.maxOutboundStreams = init.maxOutboundStreams ?? DEFAULT_MAX_OUTBOUND_STREAMS
    this.remotes = new Map()
    this.byRepoPeerId = new Map()
    this.ready = Promise.withResolvers()
    this.isReadyFlag = false
  }

  /**
   * True once the adapter has registered its protocol and tried the peers it was connected to,
   * while no sync handshake is in progress.
   */
  isReady (): boolean {
    return this.isReadyFlag && this.inFlight().length === 0
  }

  /**
   * A Repo asks the network for a document it does not have once its adapters are ready, and
   * reports the document unavailable if no peer is up then. So this waits for the first start and
   * then for handshakes in progress (a peer whose connection just opened), at most
   * `handshakeTimeout`.
   */
  async whenReady (): Promise<void> {
    await this.ready.promise
    const deadline = Date.now() + this.handshakeTimeout

    while (true) {
      const pending = this.inFlight()
      const left = deadline - Date.now()

      if (pending.length === 0 || left <= 0) {
        return
      }

      await raceTimeout(Promise.allSettled(pending).then(() => {}), left)
    }
  }

  private inFlight (): Array<Promise<unknown>> {
    const session = this.session

    if (session == null) {
      return []
    }

    const pending: Array<Promise<unknown>> = [...session.handshakes]

    for (const remote of this.remotes.values()) {
      if (!remote.up && (remote.inbound != null || remote.outbound != null || remote.opening != null)) {
        pending.push(remote.upPromise.promise)
      }
    }

    return pending
  }

  private trackHandshake<T> (session: Session, promise: Promise<T>): Promise<T> {
    session.handshakes.add(promise)
    promise.finally(() => {
      session.handshakes.delete(promise)
    }).catch(() => {})
    return promise
  }

  /**
   * The automerge peer ids this adapter currently syncs with.
   */
  get peers (): RepoPeerId[] {
    return [...this.remotes.values()].filter(r => r.up && r.repoPeerId != null).map(r => r.repoPeerId as RepoPeerId)
  }

  connect (peerId: RepoPeerId, peerMetadata?: PeerMetadata): void {
    try {
      if (this.session != null) {
        // a second connect() starts over rather than running two sessions
        this.disconnect()
      }

      this.peerId = peerId
      this.peerMetadata = peerMetadata

      const session: Session = {
        peerId,
        peerMetadata: cleanPeerMetadata(peerMetadata),
        controller: new AbortController(),
        streams: new Set(),
        handshakes: new Set()
      }
      this.session = session
      this.components.addEventListener('connection:open', this.onConnectionOpen)

      this.start(session)
        .catch(err => {
          this.log.error('could not start sync - %e', err)
        })
        .finally(() => {
          // a Repo waits for its adapters before asking the network for documents; an adapter
          // that failed to start must not hold it forever
          this.markReady()
        })
    } catch (err: any) {
      this.log.error('connect failed - %e', err)
    }
  }

  disconnect (): void {
    const session = this.session

    if (session == null) {
      return
    }

    try {
      this.session = undefined
      this.components.removeEventListener('connection:open', this.onConnectionOpen)

      if (session.topologyId != null) {
        this.components.unregister(session.topologyId)
      }

      this.components.unhandle(this.protocol).catch(err => {
        this.log.error('could not unhandle %s - %e', this.protocol, err)
      })

      // update our maps before aborting: abort() fires 'close' synchronously
      const remotes = [...this.remotes.values()]
      const streams = [...session.streams]
      this.remotes.clear()
      this.byRepoPeerId.clear()
      session.controller.abort(new SyncStoppedError())

      const err = new SyncStoppedError()

      for (const stream of streams) {
        stream.abort(err)
      }

      for (const remote of remotes) {
        remote.upPromise.reject(err)

        if (remote.up && remote.repoPeerId != null) {
          remote.up = false
          this.safeEmit('peer-disconnected', { peerId: remote.repoPeerId })
        }
      }
    } catch (err: any) {
      this.log.error('disconnect failed - %e', err)
    }
  }

  send (message: Message): void {
    try {
      if (this.session == null) {
        this.log('not connected, dropping %s message to %s', message.type, message.targetId)
        return
      }

      const remote = this.byRepoPeerId.get(message.targetId)

      if (remote?.outbound == null || !remote.up) {
        this.log('no sync stream to %s, dropping %s message', message.targetId, message.type)
        return
      }

      remote.outbound.write(message)
    } catch (err: any) {
      this.log.error('could not send %s message to %s - %e', message?.type, message?.targetId, err)
    }
  }

  /**
   * Opens sync with a connected libp2p peer now instead of waiting for the connection events, and
   * resolves once the peer is up (its `peer-candidate` was emitted) or rejects with why not.
   */
  async syncWith (peer: PeerId | Connection, options: AbortOptions = {}): Promise<RepoPeerId> {
    const session = this.session

    if (session == null) {
      throw new SyncStoppedError('The adapter is not connected')
    }

    const connection = 'remotePeer' in peer ? peer : this.pickConnection(peer)

    if (connection == null) {
      throw new ProtocolError(`Not connected to ${peer.toString()}`)
    }

    // the same rules as for connections the adapter finds itself (usable())
    if (!this.isAllowed(connection.remotePeer)) {
      throw new PeerNotAllowedError(`${connection.remotePeer.toString()} is not allowed to sync (allow/deny lists)`)
    }

    if (connection.limits != null && !this.runOnLimitedConnection) {
      throw new ProtocolError(`The connection to ${connection.remotePeer.toString()} is limited (a relay); sync waits for a direct one unless runOnLimitedConnection is set`)
    }

    const key = connection.remotePeer.toString()
    let remote = this.remotes.get(key)

    if (remote?.up !== true) {
      if (remote?.outbound == null && remote?.opening == null) {
        await this.openOutbound(session, connection)
      }

      remote = this.remotes.get(key)

      if (remote == null) {
        throw new ProtocolError(`Could not open sync with ${key}`)
      }

      const signal = AbortSignal.any([session.controller.signal, AbortSignal.timeout(this.handshakeTimeout), ...(options.signal == null ? [] : [options.signal])])
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => { reject(signal.reason) }
        signal.addEventListener('abort', onAbort, { once: true })
        remote?.upPromise.promise.then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort) })
      })
    }

    return remote.repoPeerId as RepoPeerId
  }

  private markReady (): void {
    if (!this.isReadyFlag) {
      this.isReadyFlag = true
      this.ready.resolve()
    }
  }

  private async start (session: Session): Promise<void> {
    // `force`: after disconnect() a handler may still be registered if its unhandle is in flight
    await this.components.handle(this.protocol, this.handleStream, {
      force: true,
      maxInboundStreams: this.maxInboundStreams,
      maxOutboundStreams: this.maxOutboundStreams,
      runOnLimitedConnection: this.runOnLimitedConnection
    })

    if (this.session !== session) {
      return
    }

    const topology: Topology = {
      notifyOnLimitedConnection: this.runOnLimitedConnection,
      onConnect: (_peerId, connection) => {
        this.onConnection(connection)
      }
    }
    const topologyId = await this.components.register(this.protocol, topology)

    if (this.session !== session) {
      this.components.unregister(topologyId)
      return
    }

    session.topologyId = topologyId

    // peers we are already connected to. A Repo asks the network for a document it lacks once its
    // adapters are ready and gives up if no peer is up then, so ready means each of them is up or
    // failed (or the handshake timeout passed)
    await Promise.all(this.components.getConnections().map(async connection => {
      if (!this.usable(connection)) {
        return
      }

      let remote = this.remotes.get(connection.remotePeer.toString())

      if (remote == null) {
        await this.openOutbound(session, connection)
        remote = this.remotes.get(connection.remotePeer.toString())
      }

      if (remote != null && !remote.up) {
        await raceTimeout(remote.upPromise.promise, this.handshakeTimeout).catch(() => {})
      }
    }))
  }

  private readonly onConnectionOpen = (evt: CustomEvent<Connection>): void => {
    this.onConnection(evt.detail)
  }

  /**
   * A connection appeared (or identify said the peer speaks the protocol): open our stream unless
   * we have one. We do not wait for identify: a peer that does not speak the protocol fails the
   * protocol negotiation, which costs one round trip and is ignored.
   */
  private onConnection (connection: Connection): void {
    try {
      const session = this.session

      if (session == null || !this.usable(connection)) {
        return
      }

      const remote = this.remotes.get(connection.remotePeer.toString())

      if (remote?.outbound != null || remote?.opening != null) {
        return
      }

      void this.openOutbound(session, connection)
    } catch (err: any) {
      this.log.error('could not handle connection to %p - %e', connection.remotePeer, err)
    }
  }

  private usable (connection: Connection): boolean {
    return connection.status === 'open' &&
      (connection.limits == null || this.runOnLimitedConnection) &&
      this.isAllowed(connection.remotePeer)
  }

  private pickConnection (peer: PeerId): Connection | undefined {
    const connections = this.components.getConnections(peer).filter(c => this.usable(c))
    return connections.find(c => c.limits == null) ?? connections[0]
  }

  private isAllowed (peer: PeerId): boolean {
    const key = peer.toString()

    if (this.deny?.has(key) === true) {
      return false
    }

    return this.allow == null || this.allow.has(key)
  }

  private getRemote (peer: PeerId): Remote {
    const key = peer.toString()
    let remote = this.remotes.get(key)

    if (remote == null) {
      remote = {
        key,
        libp2pPeer: peer,
        up: false,
        upPromise: Promise.withResolvers()
      }
      // nobody may be waiting for this peer
      remote.upPromise.promise.catch(() => {})
      this.remotes.set(key, remote)
    }

    return remote
  }

  private track (session: Session, stream: Stream): void {
    session.streams.add(stream)
    stream.addEventListener('close', () => {
      session.streams.delete(stream)
    }, { once: true })
  }

  private framed (stream: Stream, connection: Connection): FramedStream {
    return new FramedStream(stream, connection, {
      maxMessageSize: this.maxMessageSize,
      maxHandshakeSize: MAX_HANDSHAKE_SIZE,
      log: stream.log.newScope('docpeer:sync')
    })
  }

  private handshakeSignal (session: Session): AbortSignal {
    return AbortSignal.any([session.controller.signal, AbortSignal.timeout(this.handshakeTimeout)])
  }

  /**
   * The automerge peer id a remote presented must fit what we know of it. Throws the reason it
   * does not.
   */
  private checkIdentity (session: Session, remote: Remote, repoPeerId: RepoPeerId): void {
    if (this.peerIdMatchesLibp2p && repoPeerId !== remote.key) {
      throw new PeerIdMismatchError(`Peer ${remote.key} presented automerge peer id ${repoPeerId}`)
    }

    if (remote.repoPeerId != null && remote.repoPeerId !== repoPeerId) {
      throw new PeerIdMismatchError(`Peer ${remote.key} presented automerge peer ids ${remote.repoPeerId} and ${repoPeerId}`)
    }

    const holder = this.byRepoPeerId.get(repoPeerId)

    if (repoPeerId === session.peerId || (holder != null && holder !== remote)) {
      throw new DuplicatePeerIdError(`Automerge peer id ${repoPeerId} is already in use`)
    }
  }

  private bindIdentity (remote: Remote, repoPeerId: RepoPeerId, peerMetadata: PeerMetadata | undefined): void {
    remote.repoPeerId = repoPeerId
    remote.peerMetadata ??= cleanPeerMetadata(peerMetadata)
    this.byRepoPeerId.set(repoPeerId, remote)
  }

  /**
   * Opens our (writing) stream to a peer and runs the opener's half of the handshake. Resolves
   * when the handshake is done or failed; never rejects.
   */
  private async openOutbound (session: Session, connection: Connection): Promise<void> {
    return this.trackHandshake(session, this.runOutbound(session, connection).catch(err => {
      this.log.error('sync with %p failed - %e', connection.remotePeer, err)
    }))
  }

  private async runOutbound (session: Session, connection: Connection): Promise<void> {
    const remote = this.getRemote(connection.remotePeer)
    const opening: Opening = {}
    remote.opening = opening
    const isCurrent = (): boolean => this.session === session && this.remotes.get(remote.key) === remote && remote.opening === opening
    const signal = this.handshakeSignal(session)
    let stream: Stream

    try {
      stream = await connection.newStream(this.protocol, {
        signal,
        runOnLimitedConnection: this.runOnLimitedConnection,
        maxOutboundStreams: this.maxOutboundStreams
      })
    } catch (err: any) {
      // most often the peer does not speak the protocol, or not yet: its handler is registered
      // when its Repo connects, and identify then tells our topology
      this.log.trace('no sync stream to %p - %e', connection.remotePeer, err)

      if (isCurrent()) {
        remote.opening = undefined

        if (remote.inbound != null) {
          // it opened a stream to us but we cannot answer on one of ours
          this.teardown(remote, err)
        } else {
          this.forgetIfIdle(remote)
        }
      }

      return
    }

    if (!isCurrent()) {
      stream.abort(new SyncStoppedError('The sync stream is no longer needed'))
      return
    }

    this.track(session, stream)
    const framed = this.framed(stream, connection)
    opening.framed = framed

    try {
      const join: JoinMessage = {
        type: 'join',
        senderId: session.peerId,
        peerMetadata: session.peerMetadata,
        supportedProtocolVersions: SUPPORTED_PROTOCOL_VERSIONS
      }
      framed.write(join, { now: true })

      const reply = await framed.read({ signal })

      if (!isCurrent()) {
        framed.abort(new SyncStoppedError('The sync stream is no longer needed'))
        return
      }

      if (reply == null) {
        throw new ProtocolError('The stream closed during the handshake')
      }

      if (isErrorMessage(reply)) {
        throw new HandshakeRejectedError(`Peer refused sync: ${reply.message}`)
      }

      if (!isPeerMessage(reply)) {
        throw new InvalidMessageError('Expected a peer message')
      }

      if (reply.targetId !== session.peerId) {
        throw new TargetMismatchError(`Handshake reply addressed to ${reply.targetId}`)
      }

      if (!SUPPORTED_PROTOCOL_VERSIONS.includes(reply.selectedProtocolVersion)) {
        throw new UnsupportedProtocolVersionError(`Peer selected unsupported version ${reply.selectedProtocolVersion}`)
      }

      this.checkIdentity(session, remote, reply.senderId)
      this.bindIdentity(remote, reply.senderId, reply.peerMetadata)
      remote.opening = undefined
      remote.outbound = framed
      framed.log('sync stream to %p open as %s', connection.remotePeer, reply.senderId)
    } catch (err: any) {
      framed.log.error('sync handshake with %p failed - %e', connection.remotePeer, err)
      this.safeEmit('handshake-failed', { peerId: connection.remotePeer.toString(), reason: err.name })
      framed.abort(err.name === 'AbortError' && signal.reason != null ? signal.reason : err)

      if (isCurrent()) {
        remote.opening = undefined
        this.teardown(remote, err)
      }

      return
    }

    this.maybeUp(remote)
    this.readOutbound(session, remote, framed)
  }

  /**
   * After the handshake the acceptor never writes on our stream; we still read it to learn when it
   * ends. Anything it sends is a protocol violation.
   */
  private readOutbound (session: Session, remote: Remote, framed: FramedStream): void {
    framed.read()
      .then(frame => {
        if (frame != null) {
          throw new ProtocolError('Unexpected frame from the accepting side')
        }

        framed.log('remote closed the sync stream')
        this.streamEnded(session, remote, framed, new ProtocolError('The remote closed the sync stream'))
      })
      .catch(err => {
        this.streamEnded(session, remote, framed, err)
      })
  }

  private readonly handleStream = (stream: Stream, connection: Connection): void => {
    try {
      const session = this.session

      if (session == null) {
        stream.abort(new SyncStoppedError())
        return
      }

      if (!this.isAllowed(connection.remotePeer)) {
        stream.log('refusing sync stream from %p: not allowed', connection.remotePeer)
        stream.abort(new PeerNotAllowedError())
        return
      }

      this.track(session, stream)
      this.trackHandshake(session, this.acceptInbound(session, stream, connection))
        .then(async accepted => {
          if (accepted != null) {
            await this.readInbound(session, accepted.remote, accepted.framed)
          }
        })
        .catch(err => {
          stream.log.error('sync stream from %p failed - %e', connection.remotePeer, err)
          stream.abort(err)
        })
    } catch (err: any) {
      this.log.error('could not accept sync stream - %e', err)
      stream.abort(err)
    }
  }

  /**
   * The acceptor's half of the handshake. Resolves with the stream to read from, or nothing when
   * the stream was refused or failed.
   */
  private async acceptInbound (session: Session, stream: Stream, connection: Connection): Promise<{ remote: Remote, framed: FramedStream } | undefined> {
    const framed = this.framed(stream, connection)
    const signal = this.handshakeSignal(session)
    let join: unknown

    try {
      join = await framed.read({ signal })
    } catch (err: any) {
      const reason = signal.aborted && this.session === session ? new TimeoutError('No join message in time') : err
      framed.log.error('no handshake from %p - %e', connection.remotePeer, reason)
      this.safeEmit('handshake-failed', { peerId: connection.remotePeer.toString(), reason: reason.name })
      framed.abort(reason)
      return
    }

    if (this.session !== session) {
      framed.abort(new SyncStoppedError())
      return
    }

    if (join == null) {
      framed.log('stream from %p closed before the handshake', connection.remotePeer)
      framed.abort(new ProtocolError('Closed before the handshake'))
      return
    }

    if (!isJoinMessage(join)) {
      framed.log.error('expected a join message from %p', connection.remotePeer)
      this.safeEmit('handshake-failed', { peerId: connection.remotePeer.toString(), reason: InvalidMessageError.name })
      framed.abort(new InvalidMessageError('Expected a join message'))
      return
    }

    const version = selectProtocolVersion(join.supportedProtocolVersions)

    if (version == null) {
      await this.refuse(session, framed, join.senderId, new UnsupportedProtocolVersionError(`unsupported protocol version, this peer speaks ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}`))
      return
    }

    let remote = this.remotes.get(connection.remotePeer.toString())

    if (remote?.inbound != null) {
      // a second stream from the same peer: its side started over (its adapter reconnected) before
      // we saw its old stream end. Start over too.
      framed.log('new sync stream from %p replaces the old one', connection.remotePeer)
      this.teardown(remote, new ProtocolError('Replaced by a new sync stream'))
      remote = undefined
    }

    remote ??= this.getRemote(connection.remotePeer)

    try {
      this.checkIdentity(session, remote, join.senderId)
    } catch (err: any) {
      // a Remote made for this join alone must not outlive the refusal (one per peer identity)
      this.forgetIfIdle(remote)
      await this.refuse(session, framed, join.senderId, err)
      return
    }

    this.bindIdentity(remote, join.senderId, join.peerMetadata)
    remote.inbound = framed
    // repo messages (whole documents) follow; our own outbound stream only ever reads the reply
    framed.allowFullFrames()

    const reply: PeerMessage = {
      type: 'peer',
      senderId: session.peerId,
      peerMetadata: session.peerMetadata,
      selectedProtocolVersion: version,
      targetId: join.senderId
    }
    framed.write(reply, { now: true })
    framed.log('sync stream from %p open as %s', connection.remotePeer, join.senderId)

    if (remote.outbound == null && remote.opening == null) {
      // dial back: our writing stream to this peer
      void this.openOutbound(session, connection)
    }

    this.maybeUp(remote)

    return { remote, framed }
  }

  /**
   * Answers a `join` with `error` and closes the stream.
   */
  private async refuse (session: Session, framed: FramedStream, targetId: RepoPeerId, err: Error): Promise<void> {
    framed.log.error('refusing sync with %p - %e', framed.connection.remotePeer, err)
    this.safeEmit('handshake-failed', { peerId: framed.connection.remotePeer.toString(), reason: err.name })

    const message: ErrorMessage = {
      type: 'error',
      senderId: session.peerId,
      message: err.message,
      targetId
    }
    framed.write(message, { now: true })
    await framed.close(this.handshakeTimeout)
  }

  private async readInbound (session: Session, remote: Remote, framed: FramedStream): Promise<void> {
    try {
      while (true) {
        const message = await framed.read()

        if (message == null) {
          this.streamEnded(session, remote, framed, new ProtocolError('The remote closed the sync stream'))
          return
        }

        if (!isRepoFrame(message)) {
          throw new InvalidMessageError('Expected a repo message')
        }

        if (message.targetId !== session.peerId) {
          throw new TargetMismatchError(`Message addressed to ${message.targetId}`)
        }

        if (message.type === 'ephemeral') {
          // relayed with the origin's sender id, see the module comment; only our own id is wrong
          if (message.senderId === session.peerId) {
            framed.log('dropping ephemeral message that claims to come from us')
            continue
          }
        } else if (message.senderId !== remote.repoPeerId) {
          throw new SenderMismatchError(`Message from ${message.senderId} on the stream of ${remote.repoPeerId}`)
        }

        if (!remote.up) {
          // the remote is up before we are when its reply to our join is still on the way; hold
          // its messages (and the stream, by not reading) until our Repo knows the peer
          await remote.upPromise.promise
        }

        if (this.session !== session || remote.inbound !== framed) {
          return
        }

        this.safeEmit('message', message)
      }
    } catch (err: any) {
      if (remote.inbound === framed && this.session === session) {
        framed.log.error('sync stream from %p failed - %e', framed.connection.remotePeer, err)
      }

      this.streamEnded(session, remote, framed, err)
    }
  }

  private streamEnded (session: Session, remote: Remote, framed: FramedStream, err: Error): void {
    framed.abort(err)

    if (this.session !== session || (remote.inbound !== framed && remote.outbound !== framed)) {
      return
    }

    this.teardown(remote, err)

    // the connection under the stream went away; sync on another one to the same peer if there is
    if (framed.connection.status !== 'open') {
      const next = this.pickConnection(remote.libp2pPeer)

      if (next != null) {
        this.onConnection(next)
      }
    }
  }

  /**
   * Forgets a remote peer: aborts its streams and, if it was up, emits `peer-disconnected`.
   */
  private teardown (remote: Remote, err: Error): void {
    if (this.remotes.get(remote.key) !== remote) {
      return
    }

    this.remotes.delete(remote.key)

    if (remote.repoPeerId != null && this.byRepoPeerId.get(remote.repoPeerId) === remote) {
      this.byRepoPeerId.delete(remote.repoPeerId)
    }

    const streams = [remote.inbound, remote.outbound, remote.opening?.framed]
    remote.inbound = undefined
    remote.outbound = undefined
    remote.opening = undefined
    remote.upPromise.reject(err)

    for (const framed of streams) {
      framed?.abort(err)
    }

    if (remote.up && remote.repoPeerId != null) {
      remote.up = false
      this.log('peer %s (%p) disconnected - %e', remote.repoPeerId, remote.libp2pPeer, err)
      this.safeEmit('peer-disconnected', { peerId: remote.repoPeerId })
    }
  }

  private forgetIfIdle (remote: Remote): void {
    if (remote.inbound == null && remote.outbound == null && remote.opening == null && this.remotes.get(remote.key) === remote) {
      this.remotes.delete(remote.key)

      if (remote.repoPeerId != null && this.byRepoPeerId.get(remote.repoPeerId) === remote) {
        this.byRepoPeerId.delete(remote.repoPeerId)
      }
    }
  }

  private maybeUp (remote: Remote): void {
    if (remote.up || remote.inbound == null || remote.outbound == null || remote.repoPeerId == null) {
      return
    }

    remote.up = true
    remote.upPromise.resolve()
    this.log('peer %s (%p) up', remote.repoPeerId, remote.libp2pPeer)
    this.safeEmit('peer-candidate', {
      peerId: remote.repoPeerId,
      peerMetadata: remote.peerMetadata ?? {}
    })
  }

  /**
   * Listeners are the Repo's; one that throws must not break our stream handling.
   */
  private safeEmit (event: 'peer-candidate' | 'peer-disconnected' | 'message' | 'handshake-failed', payload: any): void {
    try {
      this.emit(event as 'message', payload)
    } catch (err: any) {
      this.log.error('%s listener threw - %e', event, err)
    }
  }
}
