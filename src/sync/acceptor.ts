/**
 * The acceptor's half of the handshake, on the stream the remote opened and writes on: read its
 * `join`, check it, answer `peer` (or `error` and close), dial back if we have no stream of our
 * own to it, then read its repo messages and hand the ones that fit the stream to the Repo.
 *
 * Trust: the remote's automerge peer id is bound to its stream at the `join`: a message naming
 * another sender, or a target other than us, resets the stream. The exception is `ephemeral`
 * messages, which automerge-repo relays hop by hop with the origin's `senderId`
 * (DocSynchronizer.receiveEphemeralMessage): they must be addressed to us but may name any origin.
 */
import { InvalidMessageError, ProtocolError, TimeoutError } from '@libp2p/interface'
import { PeerNotAllowedError, SenderMismatchError, SyncStoppedError, TargetMismatchError, UnsupportedProtocolVersionError } from './errors.ts'
import { HandshakeHalf } from './handshake.ts'
import { SUPPORTED_PROTOCOL_VERSIONS, isJoinMessage, isRepoFrame, selectProtocolVersion } from './wire/messages.ts'
import type { FramedStream } from './framed-stream.ts'
import type { HandshakeInit } from './handshake.ts'
import type { Link } from './remotes.ts'
import type { Session } from './session.ts'
import type { ErrorMessage, PeerMessage } from './wire/messages.ts'
import type { Message, PeerId as RepoPeerId } from '@automerge/automerge-repo/slim'
import type { Connection, Stream } from '@libp2p/interface'

export interface AcceptorInit extends HandshakeInit {
  /** opens our own stream to a remote that joined us first */
  dialBack(session: Session, connection: Connection): void
  /** a repo message that passed the checks */
  onMessage(message: Message): void
}

/**
 * Whether a repo message read on the stream of `remote` goes to the Repo (true) or is dropped
 * quietly (false). Throws for what resets the stream.
 */
function checkRepoMessage (message: unknown, selfId: RepoPeerId, remote: RepoPeerId | undefined): message is Message {
  if (!isRepoFrame(message)) {
    throw new InvalidMessageError('Expected a repo message')
  }

  if (message.targetId !== selfId) {
    throw new TargetMismatchError(`Message addressed to ${message.targetId}`)
  }

  if (message.type === 'ephemeral') {
    // relayed with the origin's sender id, see the module comment; only our own id is wrong
    return message.senderId !== selfId
  }

  if (message.senderId !== remote) {
    throw new SenderMismatchError(`Message from ${message.senderId} on the stream of ${remote}`)
  }

  return true
}

export class Acceptor extends HandshakeHalf {
  private readonly dialBack: (session: Session, connection: Connection) => void
  private readonly onMessage: (message: Message) => void

  constructor (init: AcceptorInit) {
    super(init)
    this.dialBack = init.dialBack
    this.onMessage = init.onMessage
  }

  /**
   * A sync stream the remote opened, in `session`.
   */
  accept (session: Session, stream: Stream, connection: Connection): void {
    try {
      if (!this.policy.isAllowed(connection.remotePeer)) {
        stream.log('refusing sync stream from %p: not allowed', connection.remotePeer)
        stream.abort(new PeerNotAllowedError())
        return
      }

      session.track(stream)
      session.trackHandshake(this.handshake(session, stream, connection))
        .then(async accepted => {
          if (accepted != null) {
            await this.readMessages(session, accepted.link, accepted.framed)
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
   * Resolves with the link to read from, or nothing when the stream was refused or failed.
   */
  private async handshake (session: Session, stream: Stream, connection: Connection): Promise<{ link: Link, framed: FramedStream } | undefined> {
    const framed = this.framed(stream)
    const signal = session.handshakeSignal()
    let join: unknown

    try {
      join = await framed.read({ signal })
    } catch (err: any) {
      const reason = signal.aborted && !session.ended ? new TimeoutError('No join message in time') : err
      framed.log.error('no handshake from %p - %e', connection.remotePeer, reason)
      this.onHandshakeFailed(connection.remotePeer, reason.name)
      framed.abort(reason)
      return
    }

    if (session.ended) {
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
      this.onHandshakeFailed(connection.remotePeer, InvalidMessageError.name)
      framed.abort(new InvalidMessageError('Expected a join message'))
      return
    }

    const version = selectProtocolVersion(join.supportedProtocolVersions)

    if (version == null) {
      await this.refuse(session, framed, connection, join.senderId, new UnsupportedProtocolVersionError(`unsupported protocol version, this peer speaks ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}`))
      return
    }

    const existing = session.remotes.get(connection.remotePeer)

    if (existing?.inbound != null) {
      // a second stream from the same peer: its side started over (its adapter reconnected) before
      // we saw its old stream end. Start over too.
      framed.log('new sync stream from %p replaces the old one', connection.remotePeer)
      session.remotes.remove(existing, new ProtocolError('Replaced by a new sync stream'))
    }

    let link: Link

    try {
      this.policy.checkPresentedId(connection.remotePeer, join.senderId)
      link = session.remotes.accept(connection, framed, join.senderId, join.peerMetadata)
    } catch (err: any) {
      await this.refuse(session, framed, connection, join.senderId, err)
      return
    }

    // repo messages (whole documents) follow; our own outbound stream only ever reads the reply
    framed.allowFullFrames()

    const reply: PeerMessage = {
      type: 'peer',
      senderId: session.peerId,
      peerMetadata: session.peerMetadata,
      selectedProtocolVersion: version,
      targetId: join.senderId
    }
    framed.write(reply)
    framed.log('sync stream from %p open as %s', connection.remotePeer, join.senderId)

    if (link.remote.outbound == null) {
      // dial back: our writing stream to this peer
      this.dialBack(session, connection)
    }

    return { link, framed }
  }

  /**
   * Answers a `join` with `error` and closes the stream.
   */
  private async refuse (session: Session, framed: FramedStream, connection: Connection, targetId: RepoPeerId, err: Error): Promise<void> {
    framed.log.error('refusing sync with %p - %e', connection.remotePeer, err)
    this.onHandshakeFailed(connection.remotePeer, err.name)

    const message: ErrorMessage = {
      type: 'error',
      senderId: session.peerId,
      message: err.message,
      targetId
    }
    framed.write(message)
    await framed.close(this.handshakeTimeout)
  }

  private async readMessages (session: Session, link: Link, framed: FramedStream): Promise<void> {
    const remote = link.remote

    try {
      while (true) {
        const message = await framed.read()

        if (message == null) {
          this.linkEnded(link, framed, new ProtocolError('The remote closed the sync stream'))
          return
        }

        if (!checkRepoMessage(message, session.peerId, remote.repoPeerId)) {
          framed.log('dropping ephemeral message that claims to come from us')
          continue
        }

        if (remote.state !== 'up') {
          // the remote is up before we are when its reply to our join is still on the way; hold
          // its messages (and the stream, by not reading) until our Repo knows the peer
          await remote.whenUp
        }

        if (!link.current) {
          return
        }

        this.onMessage(message)
      }
    } catch (err: any) {
      if (link.current) {
        framed.log.error('sync stream from %p failed - %e', link.connection.remotePeer, err)
      }

      this.linkEnded(link, framed, err)
    }
  }
}
