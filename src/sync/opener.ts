/**
 * The opener's half of the handshake, on the stream we open and write on: `newStream()`, send
 * `join`, wait for `peer` (or `error`), then keep reading only to learn when the stream ends.
 */
import { InvalidMessageError, ProtocolError } from '@libp2p/interface'
import { HandshakeRejectedError, SyncStoppedError, TargetMismatchError, UnsupportedProtocolVersionError } from './errors.ts'
import { HandshakeHalf } from './handshake.ts'
import { SUPPORTED_PROTOCOL_VERSIONS, isErrorMessage, isPeerMessage } from './wire/messages.ts'
import type { FramedStream } from './framed-stream.ts'
import type { HandshakeInit } from './handshake.ts'
import type { Link } from './remotes.ts'
import type { Session } from './session.ts'
import type { JoinMessage, PeerMessage } from './wire/messages.ts'
import type { PeerId as RepoPeerId } from '@automerge/automerge-repo/slim'
import type { Connection, Stream } from '@libp2p/interface'

export interface OpenerInit extends HandshakeInit {
  runOnLimitedConnection: boolean
  maxOutboundStreams: number
}

/**
 * The acceptor's reply to our `join`, if it lets us in. Throws why not.
 */
function checkReply (reply: unknown, selfId: RepoPeerId): PeerMessage {
  if (reply == null) {
    throw new ProtocolError('The stream closed during the handshake')
  }

  if (isErrorMessage(reply)) {
    throw new HandshakeRejectedError(`Peer refused sync: ${reply.message}`)
  }

  if (!isPeerMessage(reply)) {
    throw new InvalidMessageError('Expected a peer message')
  }

  if (reply.targetId !== selfId) {
    throw new TargetMismatchError(`Handshake reply addressed to ${reply.targetId}`)
  }

  if (!SUPPORTED_PROTOCOL_VERSIONS.includes(reply.selectedProtocolVersion)) {
    throw new UnsupportedProtocolVersionError(`Peer selected unsupported version ${reply.selectedProtocolVersion}`)
  }

  return reply
}

export class Opener extends HandshakeHalf {
  private readonly runOnLimitedConnection: boolean
  private readonly maxOutboundStreams: number

  constructor (init: OpenerInit) {
    super(init)
    this.runOnLimitedConnection = init.runOnLimitedConnection
    this.maxOutboundStreams = init.maxOutboundStreams
  }

  /**
   * Opens our (writing) stream to the peer of `connection` and runs the opener's half of the
   * handshake. Callers check that the remote has no outbound link yet. Resolves when the handshake
   * is done or failed; never rejects.
   */
  async open (session: Session, connection: Connection): Promise<void> {
    return session.trackHandshake(this.run(session, connection).catch(err => {
      this.log.error('sync with %p failed - %e', connection.remotePeer, err)
    }))
  }

  private async run (session: Session, connection: Connection): Promise<void> {
    const link = session.remotes.open(connection)
    const signal = session.handshakeSignal()
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
      // and if it opened a stream to us, we cannot answer on one of ours: the remote goes
      link.end(err)
      return
    }

    if (!link.current) {
      stream.abort(new SyncStoppedError('The sync stream is no longer needed'))
      return
    }

    session.track(stream)
    const framed = this.framed(stream)
    link.attach(framed)

    try {
      const join: JoinMessage = {
        type: 'join',
        senderId: session.peerId,
        peerMetadata: session.peerMetadata,
        supportedProtocolVersions: SUPPORTED_PROTOCOL_VERSIONS
      }
      framed.write(join)

      const reply = await framed.read({ signal })

      if (!link.current) {
        framed.abort(new SyncStoppedError('The sync stream is no longer needed'))
        return
      }

      const peer = checkReply(reply, session.peerId)
      this.policy.checkPresentedId(connection.remotePeer, peer.senderId)
      session.remotes.opened(link, peer.senderId, peer.peerMetadata)
      framed.log('sync stream to %p open as %s', connection.remotePeer, peer.senderId)
    } catch (err: any) {
      framed.log.error('sync handshake with %p failed - %e', connection.remotePeer, err)
      this.onHandshakeFailed(connection.remotePeer, err.name)
      framed.abort(err.name === 'AbortError' && signal.reason != null ? signal.reason : err)
      link.end(err)
      return
    }

    this.readToEnd(link, framed)
  }

  /**
   * After the handshake the acceptor never writes on our stream; we still read it to learn when it
   * ends. Anything it sends is a protocol violation.
   */
  private readToEnd (link: Link, framed: FramedStream): void {
    framed.read()
      .then(frame => {
        if (frame != null) {
          throw new ProtocolError('Unexpected frame from the accepting side')
        }

        framed.log('remote closed the sync stream')
        this.linkEnded(link, framed, new ProtocolError('The remote closed the sync stream'))
      })
      .catch(err => {
        this.linkEnded(link, framed, err)
      })
  }
}
