/**
 * The sync protocol's framing, pure: every frame is an unsigned varint length prefix and that many
 * bytes. No streams, no timers: the stream side (`../framed-stream.ts`), the tests and the fuzzer
 * all cut and build frames with these functions.
 */
import { InvalidMessageError } from '@libp2p/interface'
import * as varint from 'uint8-varint'
import { Uint8ArrayList } from 'uint8arraylist'
import { MessageTooLargeError } from '../errors.ts'

/**
 * The bytes of the length prefix of a frame of `length` bytes.
 */
export function encodeLengthPrefix (length: number): Uint8Array {
  return varint.encode(length)
}

/**
 * The most bytes a length prefix needs for frames up to `maxLength` bytes.
 */
export function maxPrefixBytes (maxLength: number): number {
  return varint.encodingLength(maxLength)
}

/**
 * An unsigned varint length prefix at the start of `buf`: its value and how many bytes it takes,
 * or undefined while it is incomplete. A prefix longer than `maxBytes` fails at once (a stream of
 * 0xff bytes would otherwise be read until the handshake timeout).
 */
export function decodeLengthPrefix (buf: Uint8ArrayList | Uint8Array, maxBytes: number): { length: number, bytes: number } | undefined {
  const list = buf instanceof Uint8ArrayList ? buf : new Uint8ArrayList(buf)
  let value = 0

  for (let i = 0; i < list.byteLength && i < maxBytes; i++) {
    const byte = list.get(i)
    value += (byte & 0x7f) * 2 ** (7 * i)

    if ((byte & 0x80) === 0) {
      return { length: value, bytes: i + 1 }
    }
  }

  if (list.byteLength >= maxBytes) {
    throw new InvalidMessageError('Frame length prefix is longer than any allowed frame needs')
  }

  return undefined
}

/**
 * Prefixes and payloads of several frames, in order, as one list (nothing is copied).
 */
export function encodeFrames (payloads: Uint8Array[]): Uint8ArrayList {
  return new Uint8ArrayList(...payloads.flatMap(payload => [encodeLengthPrefix(payload.byteLength), payload]))
}

/**
 * One frame: the length prefix and `payload`, in one buffer.
 */
export function encodeFrame (payload: Uint8Array): Uint8Array {
  return encodeFrames([payload]).subarray()
}

/**
 * Cuts whole frames out of bytes pushed in as they arrive, however they are split. The length
 * limit is checked on the prefix, before the frame's bytes are waited for.
 */
export class FrameDecoder {
  /**
   * Largest frame accepted now; raise it (up to the `maxLength` given to the constructor) once the
   * peer is known.
   */
  limit: number
  private readonly prefixBytes: number
  private readonly unread: Uint8ArrayList

  /**
   * @param maxLength - the largest frame ever accepted; it bounds the length prefix
   * @param limit - the largest frame accepted until `limit` is raised
   */
  constructor (maxLength: number, limit = maxLength) {
    this.prefixBytes = maxPrefixBytes(maxLength)
    this.limit = Math.min(limit, maxLength)
    this.unread = new Uint8ArrayList()
  }

  /**
   * Bytes pushed and not yet cut into frames.
   */
  get byteLength (): number {
    return this.unread.byteLength
  }

  push (bytes: Uint8Array | Uint8ArrayList): void {
    this.unread.append(bytes)
  }

  /**
   * Drops everything buffered.
   */
  clear (): void {
    this.unread.consume(this.unread.byteLength)
  }

  /**
   * The next whole frame's payload, or undefined until it has arrived. Throws
   * `InvalidMessageError` for a length prefix that never ends and `MessageTooLargeError` for a
   * frame above the limit.
   */
  next (): Uint8Array | undefined {
    const prefix = decodeLengthPrefix(this.unread, this.prefixBytes)

    if (prefix == null) {
      return undefined
    }

    if (prefix.length > this.limit) {
      throw new MessageTooLargeError(`Frame of ${prefix.length} bytes exceeds the limit of ${this.limit} bytes`)
    }

    const end = prefix.bytes + prefix.length

    if (this.unread.byteLength < end) {
      return undefined
    }

    const frame = this.unread.subarray(prefix.bytes, end)
    this.unread.consume(end)
    return frame
  }
}
