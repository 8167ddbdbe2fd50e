/**
 * One `connect()` ... `disconnect()` period of the adapter: who we are in it, its table of remotes,
 * and the streams and handshakes it started. `end()` is where a period's work is cut off: it
 * removes every remote and closes the table (so links of this session stop being `current`),
 * aborts the session's signal and every stream it tracked. Nothing from an old session can touch
 * the next one, which has a table of its own.
 */
import { Remotes } from './remotes.ts'
import type { RemotesInit } from './remotes.ts'
import type { PeerId as RepoPeerId, PeerMetadata } from '@automerge/automerge-repo/slim'
import type { Stream } from '@libp2p/interface'

export interface SessionInit extends Omit<RemotesInit, 'selfId'> {
  peerId: RepoPeerId
  /** already cleaned (`cleanPeerMetadata`): it goes into every handshake */
  peerMetadata: PeerMetadata
  handshakeTimeout: number
}

export class Session {
  readonly peerId: RepoPeerId
  readonly peerMetadata: PeerMetadata
  readonly remotes: Remotes
  /** every sync stream opened or accepted in this session, until it closes */
  readonly streams: Set<Stream>
  /** handshakes in progress, for whenReady() */
  readonly handshakes: Set<Promise<unknown>>
  topologyId?: string
  private readonly controller: AbortController
  private readonly handshakeTimeout: number

  constructor (init: SessionInit) {
    this.peerId = init.peerId
    this.peerMetadata = init.peerMetadata
    this.handshakeTimeout = init.handshakeTimeout
    this.remotes = new Remotes({ selfId: init.peerId, onUp: init.onUp, onDown: init.onDown })
    this.streams = new Set()
    this.handshakes = new Set()
    this.controller = new AbortController()
  }

  get ended (): boolean {
    return this.controller.signal.aborted
  }

  /**
   * Aborted when the session ends.
   */
  get signal (): AbortSignal {
    return this.controller.signal
  }

  /**
   * Aborted when the session ends or the handshake timeout passes.
   */
  handshakeSignal (): AbortSignal {
    return AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.handshakeTimeout)])
  }

  track (stream: Stream): void {
    this.streams.add(stream)
    stream.addEventListener('close', () => {
      this.streams.delete(stream)
    }, { once: true })
  }

  trackHandshake<T> (promise: Promise<T>): Promise<T> {
    this.handshakes.add(promise)
    promise.finally(() => {
      this.handshakes.delete(promise)
    }).catch(() => {})
    return promise
  }

  /**
   * Handshakes in progress and remotes on their way up.
   */
  inFlight (): Array<Promise<unknown>> {
    return [...this.handshakes, ...this.remotes.pending()]
  }

  end (err: Error): void {
    this.remotes.close(err)
    this.controller.abort(err)

    for (const stream of [...this.streams]) {
      stream.abort(err)
    }
  }
}
