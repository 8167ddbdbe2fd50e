/**
 * `Libp2pNetworkAdapter`: automerge-repo sync over a libp2p protocol stream. This file is the
 * automerge-repo `NetworkAdapter` contract (connect, send, disconnect, readiness), `syncWith()`
 * and the protocol's registration; the rest of the work lives beside it, one job per file:
 *
 * ```
 * session.ts       one connect() ... disconnect() period; ending it cuts off everything it started
 * remotes.ts       the per-peer table: a named state per remote, one way in, one way out
 * handshake.ts     what the two halves of the handshake share
 * opener.ts        our half, on the stream we open and write on
 * acceptor.ts      the remote's half, on the stream it opens; the checks on its repo messages
 * policy.ts        allow/deny, limited connections, which connection to use
 * framed-stream.ts one stream's frames: read as they arrive, written batched, with backpressure
 * wire/            the pure codec: frames (varint length prefix) and the messages they carry
 * ```
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
 * naming another sender, or a target other than us, resets the stream (see acceptor.ts for the
 * exception, `ephemeral` messages).
 */
import { NetworkAdapter } from '@automerge/automerge-repo/slim'
import { ProtocolError } from '@libp2p/interface'
import { Acceptor } from './acceptor.ts'
import {
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_MAX_INBOUND_STREAMS,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_MAX_OUTBOUND_STREAMS,
  SYNC_PROTOCOL
} from './constants.ts'
import { SyncStoppedError } from './errors.ts'
import { Opener } from './opener.ts'
import { SyncPolicy } from './policy.ts'
import { Session } from './session.ts'
import { cleanPeerMetadata } from './wire/messages.ts'
import type { HandshakeInit } from './handshake.ts'
import type { Link, Remote, Remotes } from './remotes.ts'
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

async function raceTimeout (promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<void>(resolve => { timer = setTimeout(resolve, ms) })

  try {
    await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Resolves or rejects with `promise`, or rejects with the signal's reason when it aborts first.
 */
async function raceSignal (promise: Promise<void>, signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => { reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort) })
  })
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
  private readonly handshakeTimeout: number
  private readonly maxInboundStreams: number
  private readonly maxOutboundStreams: number
  private readonly policy: SyncPolicy
  private readonly opener: Opener
  private readonly acceptor: Acceptor
  private readonly ready: PromiseWithResolvers<void>
  private isReadyFlag: boolean
  private session?: Session

  constructor (components: Libp2pSyncComponents, init: Libp2pNetworkAdapterInit = {}) {
    super()
    this.components = components
    this.log = components.logger.forComponent('docpeer:sync')
    this.protocol = init.protocol ?? SYNC_PROTOCOL
    this.handshakeTimeout = init.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT
    this.maxInboundStreams = init.maxInboundStreams ?? DEFAULT_MAX_INBOUND_STREAMS
    this.maxOutboundStreams = init.maxOutboundStreams ?? DEFAULT_MAX_OUTBOUND_STREAMS
    this.policy = new SyncPolicy({
      allow: init.allow,
      deny: init.deny,
      runOnLimitedConnection: init.runOnLimitedConnection ?? false,
      peerIdMatchesLibp2p: init.peerIdMatchesLibp2p ?? false
    })

    const halves: HandshakeInit = {
      log: this.log,
      protocol: this.protocol,
      maxMessageSize: init.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
      handshakeTimeout: this.handshakeTimeout,
      policy: this.policy,
      onLinkLost: link => { this.linkLost(link) },
      // not part of automerge-repo's NetworkAdapter events: docpeer's metrics count it
      onHandshakeFailed: (peer, reason) => { this.safeEmit('handshake-failed', { peerId: peer.toString(), reason }) }
    }
    this.opener = new Opener({
      ...halves,
      runOnLimitedConnection: this.policy.runOnLimitedConnection,
      maxOutboundStreams: this.maxOutboundStreams
    })
    this.acceptor = new Acceptor({
      ...halves,
      dialBack: (session, connection) => { void this.opener.open(session, connection) },
      onMessage: message => { this.safeEmit('message', message) }
    })
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
    return this.session?.inFlight() ?? []
  }

  /**
   * The automerge peer ids this adapter currently syncs with.
   */
  get peers (): RepoPeerId[] {
    return this.remotes?.upPeers() ?? []
  }

  /**
   * The current session's table of remote peers, none between sessions.
   */
  private get remotes (): Remotes | undefined {
    return this.session?.remotes
  }

  connect (peerId: RepoPeerId, peerMetadata?: PeerMetadata): void {
    try {
      if (this.session != null) {
        // a second connect() starts over rather than running two sessions
        this.disconnect()
      }

      this.peerId = peerId
      this.peerMetadata = peerMetadata

      const session = new Session({
        peerId,
        peerMetadata: cleanPeerMetadata(peerMetadata),
        handshakeTimeout: this.handshakeTimeout,
        onUp: remote => { this.remoteUp(remote) },
        onDown: (remote, err) => { this.remoteDown(remote, err) }
      })
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

      // every remote goes (peer-disconnected for those that were up), every stream is aborted,
      // handshakes and dials in flight find their session ended
      session.end(new SyncStoppedError())
    } catch (err: any) {
      this.log.error('disconnect failed - %e', err)
    }
  }

  send (message: Message): void {
    try {
      const remotes = this.remotes

      if (remotes == null) {
        this.log('not connected, dropping %s message to %s', message.type, message.targetId)
        return
      }

      const outbound = remotes.up(message.targetId)?.outbound?.framed

      if (outbound == null) {
        this.log('no sync stream to %s, dropping %s message', message.targetId, message.type)
        return
      }

      outbound.write(message)
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

    const connection = 'remotePeer' in peer ? peer : this.policy.choose(this.components.getConnections(peer))

    if (connection == null) {
      throw new ProtocolError(`Not connected to ${peer.toString()}`)
    }

    // the same rule as for connections the adapter finds itself
    const refusal = this.policy.refusal(connection)

    if (refusal != null) {
      throw refusal
    }

    const key = connection.remotePeer
    let remote = session.remotes.get(key)

    if (remote?.state !== 'up') {
      if (remote?.outbound == null) {
        await this.opener.open(session, connection)
      }

      remote = session.remotes.get(key)

      if (remote == null) {
        throw new ProtocolError(`Could not open sync with ${key.toString()}`)
      }

      const signal = AbortSignal.any([session.signal, AbortSignal.timeout(this.handshakeTimeout), ...(options.signal == null ? [] : [options.signal])])
      await raceSignal(remote.whenUp, signal)
    }

    return remote.repoPeerId as RepoPeerId
  }

  /**
   * Resolves once sync with the peer of `connection` is up or has failed (a peer that does not
   * speak the protocol fails in one round trip), or after `timeout` ms; at once when this adapter
   * does not sync over that connection (not connected, a limited connection, a peer the lists
   * refuse). Never rejects. docpeer runs identify on a new connection after this.
   */
  async settled (connection: Connection, timeout: number): Promise<void> {
    const session = this.session

    if (session == null || !this.policy.usable(connection)) {
      return
    }

    // whichever 'connection:open' listener ran first, the handshake is under way after this
    this.onConnection(connection)
    const remote = session.remotes.get(connection.remotePeer)

    if (remote != null && remote.state !== 'up') {
      // whenUp rejects when the remote goes before it came up: settled too
      await raceTimeout(remote.whenUp, timeout).catch(() => {})
    }
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
      runOnLimitedConnection: this.policy.runOnLimitedConnection
    })

    if (session.ended) {
      return
    }

    const topology: Topology = {
      notifyOnLimitedConnection: this.policy.runOnLimitedConnection,
      onConnect: (_peerId, connection) => {
        this.onConnection(connection)
      }
    }
    const topologyId = await this.components.register(this.protocol, topology)

    if (session.ended) {
      this.components.unregister(topologyId)
      return
    }

    session.topologyId = topologyId

    // peers we are already connected to. A Repo asks the network for a document it lacks once its
    // adapters are ready and gives up if no peer is up then, so ready means each of them is up or
    // failed (or the handshake timeout passed)
    await Promise.all(this.components.getConnections().map(async connection => {
      if (!this.policy.usable(connection)) {
        return
      }

      let remote = session.remotes.get(connection.remotePeer)

      if (remote == null) {
        await this.opener.open(session, connection)
        remote = session.remotes.get(connection.remotePeer)
      }

      if (remote != null && remote.state !== 'up') {
        await raceTimeout(remote.whenUp, this.handshakeTimeout).catch(() => {})
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

      if (session == null || !this.policy.usable(connection)) {
        return
      }

      if (session.remotes.get(connection.remotePeer)?.outbound != null) {
        return
      }

      void this.opener.open(session, connection)
    } catch (err: any) {
      this.log.error('could not handle connection to %p - %e', connection.remotePeer, err)
    }
  }

  /**
   * A remote went because one of its streams ended. If the connection under that stream went
   * away, sync on another one to the same peer if there is one.
   */
  private linkLost (link: Link): void {
    if (link.connection.status !== 'open') {
      const next = this.policy.choose(this.components.getConnections(link.remote.libp2pPeer))

      if (next != null) {
        this.onConnection(next)
      }
    }
  }

  private readonly handleStream = (stream: Stream, connection: Connection): void => {
    const session = this.session

    if (session == null) {
      stream.abort(new SyncStoppedError())
      return
    }

    this.acceptor.accept(session, stream, connection)
  }

  private remoteUp (remote: Remote): void {
    this.log('peer %s (%p) up', remote.repoPeerId, remote.libp2pPeer)
    this.safeEmit('peer-candidate', {
      peerId: remote.repoPeerId,
      peerMetadata: remote.peerMetadata ?? {}
    })
  }

  private remoteDown (remote: Remote, err: Error): void {
    this.log('peer %s (%p) disconnected - %e', remote.repoPeerId, remote.libp2pPeer, err)
    this.safeEmit('peer-disconnected', { peerId: remote.repoPeerId })
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
