/**
 * Malformed inputs for docpeer's sync protocol, drawn from a seeded PRNG. Each input is what a
 * hostile peer sends on one fresh sync stream.
 */
import { cbor, generateAutomergeUrl, parseAutomergeUrl } from '@automerge/automerge-repo'
import { Uint8ArrayList } from 'uint8arraylist'
import { DEFAULT_MAX_MESSAGE_SIZE, SYNC_PROTOCOL } from '../../src/sync/constants.ts'
import { FrameDecoder, decodeMessage, encodeFrame as frame, encodeLengthPrefix, encodeMessage } from '../../src/sync/wire/index.ts'
import type { Libp2p, Stream } from '@libp2p/interface'

export type FastKind =
  'random-bytes' | 'truncated' | 'oversize-prefix' | 'bad-varint' | 'cbor-wrong-shape' | 'cbor-bomb' |
  'wrong-version' | 'wrong-identity' | 'before-handshake' | 'empty' | 'post-handshake' | 'repo-garbage'

export const FAST_KINDS: FastKind[] = [
  'random-bytes', 'truncated', 'oversize-prefix', 'bad-varint', 'cbor-wrong-shape', 'cbor-bomb',
  'wrong-version', 'wrong-identity', 'before-handshake', 'empty', 'post-handshake', 'repo-garbage'
]

/**
 * What the target should do with the stream: `refused` is a reset or an `error` frame and a close
 * (a random object can happen to be a join with a foreign sender id), `reset` a reset. `repo-garbage` frames are well formed as far as the adapter can tell (they go to the Repo,
 * which must survive them); the hostile side closes those streams itself.
 */
export type Expectation = 'refused' | 'reset' | 'any'

export interface FuzzInput {
  kind: FastKind
  /** bytes sent right after the stream opens */
  first: Uint8Array
  /** send a valid `join` first and wait for the `peer` reply, then send `first` */
  handshake: boolean
  /** close our writing end after sending */
  closeWrite: boolean
  expect: Expectation
}

export interface InputContext {
  hostileId: string
  targetId: string
  maxMessageSize: number
  /** a document the honest peer is editing, so some garbage aims at a live document */
  liveDocumentId?: string
}

/**
 * One message as it goes on the wire: its CBOR in a frame, by the adapter's own codec.
 */
export function encodeFrame (message: unknown): Uint8Array {
  return frame(encodeMessage(message))
}

export function joinMessage (senderId: string, versions: unknown = ['1']): Record<string, unknown> {
  return { type: 'join', senderId, peerMetadata: {}, supportedProtocolVersions: versions }
}

function concat (...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let offset = 0

  for (const part of parts) {
    out.set(part, offset)
    offset += part.byteLength
  }

  return out
}

export class InputGenerator {
  private readonly rand: () => number
  private readonly ctx: InputContext

  constructor (rand: () => number, ctx: InputContext) {
    this.rand = rand
    this.ctx = ctx
  }

  int (max: number): number {
    return Math.floor(this.rand() * max)
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]
  }

  bytes (length: number): Uint8Array {
    const out = new Uint8Array(length)

    for (let i = 0; i < length; i++) {
      out[i] = this.int(256)
    }

    return out
  }

  private documentId (): unknown {
    return this.pick([
      parseAutomergeUrl(generateAutomergeUrl()).documentId,
      this.ctx.liveDocumentId ?? 'nope',
      'not-a-document-id',
      '',
      42,
      null,
      undefined,
      this.bytes(16)
    ])
  }

  /**
   * Any CBOR value, nested a few levels.
   */
  value (depth = 0): unknown {
    const choice = this.int(depth > 3 ? 7 : 10)

    switch (choice) {
      case 0: return this.int(2 ** 31) - 2 ** 30
      case 1: return this.rand() * 1e12
      case 2: return 'x'.repeat(this.int(40))
      case 3: return this.bytes(this.int(64))
      case 4: return this.pick([true, false, null, undefined])
      case 5: return this.pick(['join', 'peer', 'error', 'sync', 'request', 'ephemeral', 'doc-unavailable'])
      case 6: return -this.int(1000)
      case 7: return Array.from({ length: this.int(5) }, () => this.value(depth + 1))
      case 8: {
        const obj: Record<string, unknown> = {}
        for (let i = this.int(6); i > 0; i--) {
          obj[this.pick(['type', 'senderId', 'targetId', 'documentId', 'data', 'peerMetadata', 'supportedProtocolVersions', 'x'])] = this.value(depth + 1)
        }
        return obj
      }
      default: return new Map([[this.value(depth + 1), this.value(depth + 1)]])
    }
  }

  /**
   * Handshake-shaped objects with one field wrong, and plain random values.
   */
  wrongShape (): unknown {
    const { hostileId, targetId } = this.ctx

    return this.pick([
      () => this.value(),
      () => ({ type: 'join' }),
      () => ({ type: 'join', senderId: this.pick([42, '', null, [hostileId], { id: hostileId }]), supportedProtocolVersions: ['1'] }),
      () => ({ type: 'join', senderId: hostileId, peerMetadata: this.pick([5, 'meta', [1], { storageId: 7 }, { isEphemeral: 'yes' }]) }),
      () => ({ type: 'join', senderId: hostileId, supportedProtocolVersions: this.pick(['1', 1, [1], [null], { 0: '1' }]) }),
      () => ({ type: 'peer', senderId: hostileId, targetId, selectedProtocolVersion: '1', peerMetadata: {} }),
      () => ({ type: 'error', senderId: hostileId, message: 'go away', targetId }),
      () => ({ type: this.value(), senderId: hostileId, targetId }),
      () => [joinMessage(hostileId)],
      () => new Map([['type', 'join'], ['senderId', hostileId]])
    ])()
  }

  /**
   * Valid CBOR (or CBOR-ish) built to hurt a decoder: deep nesting, huge declared lengths,
   * unknown or exotic tags.
   */
  cborBomb (): Uint8Array {
    const depth = 100 + this.int(20_000)
    return this.pick([
      // nested arrays [[[[...]]]]
      () => concat(new Uint8Array(depth).fill(0x81), Uint8Array.of(0x00)),
      // nested maps {0: {0: ...}}
      () => concat(...Array.from({ length: Math.min(depth, 5000) }, () => Uint8Array.of(0xa1, 0x00)), Uint8Array.of(0x00)),
      // an array, a map, a byte string and a text string claiming 2^32-1 or 2^64-1 items
      () => Uint8Array.of(0x9a, 0xff, 0xff, 0xff, 0xff, 0x00),
      () => Uint8Array.of(0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00),
      () => Uint8Array.of(0x5a, 0x7f, 0xff, 0xff, 0xff, 0x00),
      () => Uint8Array.of(0x7b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x61),
      // indefinite-length array never closed
      () => concat(Uint8Array.of(0x9f), new Uint8Array(this.int(1000)).fill(0x01)),
      // tag 27 (generic object: constructor name and arguments), tags 28/29 (shared references)
      () => concat(Uint8Array.of(0xd8, 0x1b), cbor.encode(['RegExp', '(a+)+$'])),
      () => Uint8Array.of(0xd8, 0x1c, 0xd8, 0x1c, 0xd8, 0x1d, 0x00),
      () => concat(Uint8Array.of(0xd8, 0x1d, 0x19, 0xff, 0xff)),
      // typed-array tags with bad lengths, a random tag, a big negative integer
      () => Uint8Array.of(0xd8, 0x46, 0x43, 0x01, 0x02, 0x03),
      () => concat(Uint8Array.of(0xda, 0xde, 0xad, 0xbe, 0xef), this.bytes(8)),
      () => Uint8Array.of(0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
    ])()
  }

  /**
   * A repo message the adapter lets through (right type tag, our sender id, addressed to the
   * target) but with garbage in the fields automerge-repo reads.
   */
  repoGarbage (): unknown {
    const { hostileId, targetId } = this.ctx
    const message: Record<string, unknown> = {
      type: this.pick(['sync', 'request', 'ephemeral', 'doc-unavailable', 'remote-subscription-change', 'remote-heads-changed', 'unknown-type']),
      senderId: hostileId,
      targetId,
      documentId: this.documentId()
    }

    for (const field of ['data', 'count', 'sessionId', 'add', 'remove', 'newHeads']) {
      if (this.rand() < 0.5) {
        message[field] = this.value()
      }
    }

    if (this.rand() < 0.3) {
      message.data = this.bytes(this.int(300))
    }

    return message
  }

  /**
   * Bad frames after a completed handshake.
   */
  afterHandshake (): Uint8Array {
    const { hostileId, targetId, maxMessageSize } = this.ctx
    const live = this.ctx.liveDocumentId

    return this.pick([
      () => this.bytes(1 + this.int(300)),
      () => frame(this.bytes(1 + this.int(300))),
      () => encodeFrame(this.wrongShape()),
      () => encodeLengthPrefix(maxMessageSize + 1 + this.int(1_000_000)),
      () => encodeFrame(joinMessage(hostileId)),
      // spoofed sender, foreign target
      () => encodeFrame({ type: 'sync', senderId: 'someone-else', targetId, documentId: live, data: this.bytes(20) }),
      () => encodeFrame({ type: 'request', senderId: targetId, targetId, documentId: live, data: this.bytes(20) }),
      () => encodeFrame({ type: 'sync', senderId: hostileId, targetId: 'someone-else', documentId: live, data: this.bytes(20) })
    ])()
  }

  next (kind: FastKind = this.pick(FAST_KINDS)): FuzzInput {
    const { hostileId, maxMessageSize } = this.ctx

    switch (kind) {
      case 'random-bytes':
        return { kind, first: this.bytes(1 + this.int(2048)), handshake: false, closeWrite: true, expect: 'reset' }
      case 'truncated': {
        const length = 10 + this.int(4000)
        return { kind, first: concat(encodeLengthPrefix(length), this.bytes(this.int(length))), handshake: false, closeWrite: true, expect: 'reset' }
      }
      case 'oversize-prefix':
        return { kind, first: concat(encodeLengthPrefix(maxMessageSize + 1 + this.int(2 ** 40)), this.bytes(this.int(64))), handshake: false, closeWrite: false, expect: 'reset' }
      case 'bad-varint':
        // closed after: a varint that never ends is held until the handshake timeout (slow lane)
        return { kind, first: new Uint8Array(5 + this.int(20)).fill(0xff), handshake: false, closeWrite: true, expect: 'reset' }
      case 'cbor-wrong-shape':
        return { kind, first: encodeFrame(this.wrongShape()), handshake: false, closeWrite: false, expect: 'refused' }
      case 'cbor-bomb':
        return { kind, first: frame(this.cborBomb()), handshake: false, closeWrite: false, expect: 'reset' }
      case 'wrong-version':
        return { kind, first: encodeFrame(joinMessage(hostileId, this.pick([[], ['0'], ['2'], ['1.0.0'], ['x', 'y'], ['999']]))), handshake: false, closeWrite: false, expect: 'refused' }
      case 'wrong-identity':
        return { kind, first: encodeFrame(joinMessage(this.pick(['alice', this.ctx.targetId, hostileId + 'x', 'x'.repeat(1000)]))), handshake: false, closeWrite: false, expect: 'refused' }
      case 'before-handshake':
        return { kind, first: encodeFrame({ type: this.pick(['sync', 'request', 'ephemeral']), senderId: hostileId, targetId: this.ctx.targetId, documentId: this.ctx.liveDocumentId, data: this.bytes(32) }), handshake: false, closeWrite: false, expect: 'reset' }
      case 'empty':
        return { kind, first: new Uint8Array(0), handshake: false, closeWrite: true, expect: 'reset' }
      case 'post-handshake':
        // closed after: random bytes can announce a frame longer than what follows, and a peer
        // that is up may take its time to send a frame (only its next join replaces the stream,
        // and near the end of a run there may be none); ending the stream mid-frame is an error
        return { kind, first: this.afterHandshake(), handshake: true, closeWrite: true, expect: 'reset' }
      case 'repo-garbage':
      default:
        return { kind: 'repo-garbage', first: concat(...Array.from({ length: 1 + this.int(4) }, () => encodeFrame(this.repoGarbage()))), handshake: true, closeWrite: true, expect: 'any' }
    }
  }
}

/**
 * The message in the first whole frame of `rx`, or undefined while there is none (or it is not a
 * message at all).
 */
export function firstFrame (rx: Uint8ArrayList): unknown {
  try {
    const decoder = new FrameDecoder(DEFAULT_MAX_MESSAGE_SIZE)
    decoder.push(rx)
    const payload = decoder.next()
    return payload == null || payload.byteLength === 0 ? undefined : decodeMessage(payload)
  } catch {
    return undefined
  }
}

/**
 * Answers the target's dial-back with a `peer` reply, then reads and drops whatever it sends.
 */
export async function answerDialBack (node: Libp2p, senderId: string = node.peerId.toString()): Promise<void> {
  const hostileId = senderId

  await node.handle(SYNC_PROTOCOL, (stream: Stream) => {
    const rx = new Uint8ArrayList()
    let answered = false

    stream.addEventListener('message', evt => {
      if (answered) {
        return
      }

      rx.append(evt.data)
      const join = firstFrame(rx) as any

      if (join?.type === 'join') {
        answered = true
        rx.consume(rx.byteLength)
        stream.send(encodeFrame({ type: 'peer', senderId: hostileId, peerMetadata: {}, selectedProtocolVersion: '1', targetId: join.senderId }))
      }
    })
  }, { maxInboundStreams: 10_000, force: true })
}

export interface HandshakenStream {
  stream: Stream
  /** the first frame the target sent (`peer` or `error`), or undefined if it reset first */
  reply: any
  /** resolves with 'reset' or 'closed' when the stream ends */
  ended: Promise<'reset' | 'closed'>
}

/**
 * Opens a sync stream and sends a `join` as `senderId`; resolves once the target replied or ended
 * the stream (at most `timeout` ms).
 */
export async function joinAs (connection: { newStream(protocol: string, options?: any): Promise<Stream> }, senderId: string, timeout = 10_000): Promise<HandshakenStream> {
  const stream = await connection.newStream(SYNC_PROTOCOL, { signal: AbortSignal.timeout(timeout), maxOutboundStreams: 10_000 })
  const rx = new Uint8ArrayList()
  let reply: any
  let onReply: (() => void) | undefined

  const ended = new Promise<'reset' | 'closed'>(resolve => {
    if (stream.status !== 'open') {
      resolve('reset')
      return
    }

    stream.addEventListener('close', evt => { resolve(evt.error != null ? 'reset' : 'closed') }, { once: true })
  })

  stream.addEventListener('message', evt => {
    if (reply !== undefined) {
      return
    }

    rx.append(evt.data)
    reply = firstFrame(rx)

    if (reply !== undefined) {
      onReply?.()
    }
  })

  const replied = new Promise<void>(resolve => { onReply = resolve })
  stream.send(encodeFrame(joinMessage(senderId)))
  let timer: ReturnType<typeof setTimeout> | undefined
  await Promise.race([replied, ended, new Promise(resolve => { timer = setTimeout(resolve, timeout) })])
  clearTimeout(timer)

  return { stream, reply, ended }
}
