/**
 * One sync stream: length-prefixed frames of automerge-repo's CBOR, read one at a time and written
 * through an ordered queue that waits for the stream's `'drain'` event under backpressure.
 */
import { cbor } from '@automerge/automerge-repo/slim'
import { InvalidMessageError, TimeoutError } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { MessageTooLargeError } from '../errors.ts'
import { WRITE_BATCH_BYTES } from './constants.ts'
import type { AbortOptions, Connection, Logger, Stream } from '@libp2p/interface'
import type { LengthPrefixedStream } from '@libp2p/utils'
import type { Uint8ArrayList } from 'uint8arraylist'

function varintLength (value: number): number {
  let length = 1

  while (value >= 0x80) {
    value = Math.floor(value / 0x80)
    length++
  }

  return length
}

/**
 * An unsigned varint, as lpStream's default decoder, except that a prefix longer than any allowed
 * length fails at once: the default keeps reading one byte at a time as long as the bytes say
 * "more follows", so a stream of 0xff would only end at the handshake timeout.
 */
function decodeLength (buf: Uint8ArrayList, maxLengthLength: number): number {
  let value = 0

  for (let i = 0; i < buf.byteLength; i++) {
    const byte = buf.get(i)
    value += (byte & 0x7f) * 2 ** (7 * i)

    if ((byte & 0x80) === 0) {
      return value
    }
  }

  if (buf.byteLength >= maxLengthLength) {
    throw new InvalidMessageError('Frame length prefix is longer than any allowed frame needs')
  }

  // lpStream reads another byte on RangeError
  throw new RangeError('Incomplete varint')
}

export interface FramedStreamInit {
  maxMessageSize: number
  /**
   * Largest frame read until `allowFullFrames()` is called: the handshake's limit, so a peer that
   * has not said who it is cannot make us buffer a `maxMessageSize` frame.
   */
  maxHandshakeSize: number
  log: Logger
}

export class FramedStream {
  readonly stream: Stream
  readonly connection: Connection
  readonly log: Logger
  private readonly lp: LengthPrefixedStream<Stream>
  private readonly maxMessageSize: number
  private readonly queue: Uint8Array[]
  private flushing?: Promise<void>
  private ended: boolean
  private readLimit: number

  constructor (stream: Stream, connection: Connection, init: FramedStreamInit) {
    this.stream = stream
    this.connection = connection
    this.log = init.log
    this.maxMessageSize = init.maxMessageSize
    this.queue = []
    this.ended = false
    this.readLimit = Math.min(init.maxHandshakeSize, init.maxMessageSize)
    const maxLengthLength = varintLength(init.maxMessageSize)
    this.lp = lpStream(stream, {
      maxDataLength: init.maxMessageSize,
      maxLengthLength,
      lengthDecoder: (buf) => {
        const length = decodeLength(buf, maxLengthLength)

        // checked on the prefix, before any of the frame is buffered
        if (length > this.readLimit) {
          throw new MessageTooLargeError(`Frame of ${length} bytes exceeds the limit of ${this.readLimit} bytes`)
        }

        return length
      },
      // the byte stream buffers what arrived but is not read yet: one whole frame plus what the
      // transport delivers in one go while the frame is being decoded
      maxBufferSize: init.maxMessageSize + 4 * 1024 * 1024
    })

    stream.addEventListener('close', () => {
      this.ended = true
      this.queue.length = 0
    }, { once: true })
  }

  /**
   * The handshake is done: from now on frames up to `maxMessageSize` are read.
   */
  allowFullFrames (): void {
    this.readLimit = this.maxMessageSize
  }

  get open (): boolean {
    return !this.ended && this.stream.status === 'open'
  }

  /**
   * Reads and decodes the next frame; `null` when the remote closed its end cleanly. Throws on an
   * oversized frame, bytes that are not CBOR, or a reset.
   */
  async read (options?: AbortOptions): Promise<unknown> {
    let buf
    try {
      buf = await this.lp.read(options)
    } catch (err: any) {
      if (err.name === 'UnexpectedEOFError' && this.stream.remoteWriteStatus !== 'writable' && err.message?.includes('0/1') === true) {
        return null
      }
      throw err
    }

    if (buf == null) {
      return null
    }

    try {
      return cbor.decode(buf.subarray())
    } catch (err: any) {
      throw new InvalidMessageError(`Frame is not CBOR: ${err.message}`)
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

    const encoded = cbor.encode(message)

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

    this.flushing = this.flush()
      .catch(err => {
        this.log.error('write failed - %e', err)
        this.abort(err)
      })
      .finally(() => {
        this.flushing = undefined

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

      // writeV sends prefix and frames in one `stream.send()` and, when it returns false, waits
      // for the 'drain' event (not `onDrain()`, which resolves early in @libp2p/utils 7.4.1)
      await this.lp.writeV(batch)
    }
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
