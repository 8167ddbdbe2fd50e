/**
 * What the two halves of the sync handshake share (`opener.ts`, our stream; `acceptor.ts`, the
 * remote's): their options, the logger, how a stream is framed, and what happens when a link's
 * stream ends. Modelled on js-libp2p identify's shared base for `identify` and `identify-push`.
 */
import { MAX_HANDSHAKE_SIZE } from './constants.ts'
import { FramedStream } from './framed-stream.ts'
import type { SyncPolicy } from './policy.ts'
import type { Link } from './remotes.ts'
import type { Logger, PeerId, Stream } from '@libp2p/interface'

export interface HandshakeInit {
  log: Logger
  protocol: string
  maxMessageSize: number
  handshakeTimeout: number
  policy: SyncPolicy
  /**
   * A link's stream ended and its remote was removed; the adapter may sync over another connection.
   */
  onLinkLost(link: Link): void
  /**
   * A handshake failed or was refused, with the error's name as the reason (for metrics).
   */
  onHandshakeFailed(peer: PeerId, reason: string): void
}

export abstract class HandshakeHalf {
  protected readonly log: Logger
  protected readonly protocol: string
  protected readonly maxMessageSize: number
  protected readonly handshakeTimeout: number
  protected readonly policy: SyncPolicy
  private readonly onLinkLost: (link: Link) => void
  protected readonly onHandshakeFailed: (peer: PeerId, reason: string) => void

  constructor (init: HandshakeInit) {
    this.log = init.log
    this.protocol = init.protocol
    this.maxMessageSize = init.maxMessageSize
    this.handshakeTimeout = init.handshakeTimeout
    this.policy = init.policy
    this.onLinkLost = init.onLinkLost
    this.onHandshakeFailed = init.onHandshakeFailed
  }

  protected framed (stream: Stream): FramedStream {
    return new FramedStream(stream, {
      maxMessageSize: this.maxMessageSize,
      maxHandshakeSize: MAX_HANDSHAKE_SIZE,
      log: stream.log.newScope('docpeer:sync')
    })
  }

  /**
   * A link's stream ended (cleanly or not) after its handshake: the remote goes, unless the link
   * was already stale.
   */
  protected linkEnded (link: Link, framed: FramedStream, err: Error): void {
    framed.abort(err)

    if (link.end(err)) {
      this.onLinkLost(link)
    }
  }
}
