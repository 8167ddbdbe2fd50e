/**
 * One sync stream: the wire's frames (`wire/`) read one at a time as they arrive and written
 * through an ordered queue that waits for the stream's `'drain'` event under backpressure.
 *
 * A frame is written at once, and frames written while a write is under way (the rest of the call
 * that produced the first, or everything while the muxer asks us to wait for `'drain'`) go
 * together in the next write: one muxer frame, one encryption and one syscall for a burst.
 * Until 2026-12-07 every frame waited for the end of the event loop's turn (`setImmediate`) to
 * share a write with the turn's other frames. A server reads the messages of many peers in one
 * turn (one poll of its sockets) and answers each as it reads it; held to the end of the turn,
 * the answer to the first peer waited until all the others were read and handled, and the peers
 * sat idle meanwhile: in w5 the hub and the spokes took turns being idle, about a quarter of the
 * converge phase each. Writing at once took w5 converge from 1.47-1.79x the anchor to 1.28-1.33x
 * in the same minutes, with w1-w4 unchanged (BENCHMARKS.md, tenth session).
 */
import { StreamBufferError, StreamStateError, TimeoutError } from '@libp2p/interface'
import { UnexpectedEOFError } from '@libp2p/utils'
import { WRITE_BATCH_BYTES } from './constants.ts'
import { MessageTooLargeError } from './errors.ts'
import { FrameDecoder, encodeFrames } from './wire/frame.ts'
import { decodeMessage, encodeMessage } from './wire/messages.ts'
import type { AbortOptions, Logger, Stream, StreamCloseEvent } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

/**
 * Unread bytes beyond which the stream is paused (the remote's writes then wait on the muxer's
 * flow control) while nobody is reading, e.g. while the Repo does not know the peer yet.
 */
const PAUSE_ABOVE_BYTES = 4 * 1024 * 1024

export interface FramedStreamInit {
  maxMessageSize: number
  /**
   * Largest frame read until `allowFullFrames()` is called: the handshake's limit, so a peer that
   * has not said who it is cannot make us buffer a `maxMessageSize` frame.
   */
  maxHandshakeSize: number
  log: Logger
}

/**
 * Frames are cut out of the stream's 'message' events as they arrive and decoded when read, with no
 * promise or event per byte: automerge-repo sends many small messages, and `lpStream` of
 * `@libp2p/utils` reads a length prefix one awaited byte at a time (and throws a RangeError for
 * every prefix byte but the last).
 */
export class FramedStream {
  readonly stream: Stream
  readonly log: Logger
  private readonly maxMessageSize: number
  private readonly queue: Uint8Array[]
  private readonly unread: FrameDecoder
  private flushing?: Promise<void>
  private ended: boolean
  private remoteEnded: boolean
  private readError?: Error
  private dataArrived?: PromiseWithResolvers<void>

  constructor (stream: Stream, init: FramedStreamInit) {
    this.stream = stream
    this.log = init.log
    this.maxMessageSize = init.maxMessageSize
    this.queue = []
    this.unread = new FrameDecoder(init.maxMessageSize, init.maxHandshakeSize)
    this.ended = false
    this.remoteEnded = false

    stream.addEventListener('message', (evt) => {
      this.unread.push(evt.data)

      // one whole frame plus what the transport delivers in one go while nobody reads
      if (this.unread.byteLength > this.maxMessageSize + PAUSE_ABOVE_BYTES) {
        this.readError ??= new StreamBufferError(`Read buffer overflow - ${this.unread.byteLength} bytes unread`)
        this.unread.clear()
        queueMicrotask(() => { this.abort(this.readError ?? new StreamBufferError('Read buffer overflow')) })
      } else if (this.dataArrived == null && this.unread.byteLength > PAUSE_ABOVE_BYTES) {
        stream.pause()
      }

      this.dataArrived?.resolve()
    })
    stream.addEventListener('remoteCloseWrite', () => {
      this.remoteEnded = true
      this.dataArrived?.resolve()
    })
    stream.addEventListener('close', (evt) => {
      this.ended = true
      this.remoteEnded = true
      this.queue.length = 0

      if (evt.error != null) {
        this.readError ??= evt.error
      }

      this.dataArrived?.resolve()
    }, { once: true })
  }

  /**
   * The handshake is done: from now on frames up to `maxMessageSize` are read.
   */
  allowFullFrames (): void {
    this.unread.limit = this.maxMessageSize
  }

  get open (): boolean {
    return !this.ended && this.stream.status === 'open'
  }

  /**
   * Reads and decodes the next frame; `null` when the remote closed its end cleanly. Throws on an
   * oversized frame, bytes that are not CBOR, or a reset.
   */
  async read (options?: AbortOptions): Promise<unknown> {
    const signal = options?.signal
    const wake = (): void => { this.dataArrived?.resolve() }

    while (true) {
      signal?.throwIfAborted()

      if (this.readError != null) {
        throw this.readError
      }

      const frame = this.unread.next()

      if (frame != null) {
        return decodeMessage(frame)
      }

      if (this.remoteEnded) {
        if (this.unread.byteLength === 0) {
          return null
        }

        throw new UnexpectedEOFError(`The stream ended inside a frame (${this.unread.byteLength} bytes unread)`)
      }

      if (this.stream.readStatus === 'paused') {
        this.stream.resume()
      }

      this.dataArrived = Promise.withResolvers()
      signal?.addEventListener('abort', wake, { once: true })

      try {
        await this.dataArrived.promise
      } finally {
        this.dataArrived = undefined
        signal?.removeEventListener('abort', wake)
      }
    }
  }

  /**
   * Encodes a message and queues it behind earlier ones. Returns false (and sends nothing) when the
   * message is too large or the stream has ended.
   */
  write (message: unknown): boolean {
    if (!this.open) {
      return false
    }

    const encoded = encodeMessage(message)

    if (encoded.byteLength > this.maxMessageSize) {
      this.log.error('dropping %s message of %d bytes - %e', (message as any)?.type, encoded.byteLength,
        new MessageTooLargeError(`Message of ${encoded.byteLength} bytes exceeds maxMessageSize ${this.maxMessageSize}`))
      return false
    }

    this.queue.push(encoded)

    this.startFlushing()

    return true
  }

  private startFlushing (): void {
    if (this.flushing != null) {
      return
    }

    // set before the first write starts: a write made from inside stream.send() (an event it
    // dispatches) must queue behind this loop, not start a second one
    const flushing = Promise.withResolvers<void>()
    this.flushing = flushing.promise

    void this.flush()
      .catch(err => {
        this.log.error('write failed - %e', err)
        this.abort(err)
      })
      .finally(() => {
        this.flushing = undefined
        flushing.resolve()

        // a frame queued between the end of the loop and here
        if (this.queue.length > 0 && this.open) {
          this.startFlushing()
        }
      })
  }

  /**
   * Resolves when everything queued so far has been handed to the muxer.
   */
  async flushed (): Promise<void> {
    while (this.flushing != null) {
      await this.flushing
    }
  }

  private async flush (): Promise<void> {
    while (this.queue.length > 0 && this.open) {
      // coalesce queued frames into one write, never splitting a frame
      let bytes = 0
      let count = 0

      while (count < this.queue.length && (count === 0 || bytes + this.queue[count].byteLength <= WRITE_BATCH_BYTES)) {
        bytes += this.queue[count].byteLength
        count++
      }

      const batch = this.queue.splice(0, count)

      await this.send(encodeFrames(batch))
    }
  }

  /**
   * Sends prefixes and frames in one `stream.send()` and, when it asks to, waits for the 'drain'
   * event (not `onDrain()`, which resolves early in `@libp2p/utils` 7.4.1).
   */
  private async send (data: Uint8ArrayList): Promise<void> {
    if (this.stream.send(data)) {
      return
    }

    await new Promise<void>((resolve, reject) => {
      const settle = (evt: Event): void => {
        this.stream.removeEventListener('drain', settle)
        this.stream.removeEventListener('close', settle)

        if (evt.type === 'drain') {
          resolve()
        } else {
          reject((evt as StreamCloseEvent).error ?? new StreamStateError('The stream closed before its writes drained'))
        }
      }

      this.stream.addEventListener('drain', settle)
      this.stream.addEventListener('close', settle)
    })
  }

  /**
   * Closes our writing end after what is queued, then aborts if the remote does not follow in time.
   */
  async close (timeout: number): Promise<void> {
    try {
      await this.flushed()
      await this.stream.close({ signal: AbortSignal.timeout(timeout) })
    } catch (err: any) {
      this.abort(err)
      return
    }

    // our end is closed; a remote that keeps its end open does not get to hold the stream
    if (this.stream.status === 'open') {
      const timer = setTimeout(() => {
        this.abort(new TimeoutError('The remote did not close the stream'))
      }, timeout)
      this.stream.addEventListener('close', () => { clearTimeout(timer) }, { once: true })
    }
  }

  abort (err: Error): void {
    this.ended = true
    this.queue.length = 0
    this.stream.abort(err)
  }
}
