/**
 * The pure wire codec of the sync protocol: frames cut however the bytes arrive, the length checks
 * made on the prefix alone, and messages that are not CBOR.
 */
import { expect } from 'aegir/chai'
import { DEFAULT_MAX_MESSAGE_SIZE, MAX_HANDSHAKE_SIZE } from '../src/sync/constants.ts'
import { FrameDecoder, decodeLengthPrefix, decodeMessage, encodeFrame, encodeFrames, encodeLengthPrefix, encodeMessage, isJoinMessage, maxPrefixBytes } from '../src/sync/wire/index.ts'

describe('sync: wire codec', () => {
  it('encodes the length prefix as an unsigned varint', () => {
    expect([...encodeLengthPrefix(0)]).to.deep.equal([0])
    expect([...encodeLengthPrefix(127)]).to.deep.equal([0x7f])
    expect([...encodeLengthPrefix(300)]).to.deep.equal([0xac, 0x02])
    expect(decodeLengthPrefix(Uint8Array.of(0xac, 0x02, 0x99), 4)).to.deep.equal({ length: 300, bytes: 2 })
    expect(decodeLengthPrefix(Uint8Array.of(0xac), 4)).to.equal(undefined)
  })

  it('cuts the same frames out of the bytes however they are split', () => {
    const payloads = [new Uint8Array(0), Uint8Array.of(1, 2, 3), new Uint8Array(300).fill(7), new Uint8Array(20_000).fill(9)]
    const bytes = encodeFrames(payloads).subarray()

    for (const chunk of [1, 2, 7, 301, bytes.byteLength]) {
      const decoder = new FrameDecoder(DEFAULT_MAX_MESSAGE_SIZE)
      const frames: Uint8Array[] = []

      for (let offset = 0; offset < bytes.byteLength; offset += chunk) {
        decoder.push(bytes.subarray(offset, offset + chunk))

        for (let frame = decoder.next(); frame != null; frame = decoder.next()) {
          frames.push(frame)
        }
      }

      expect(frames.map(f => f.byteLength), `chunks of ${chunk}`).to.deep.equal(payloads.map(p => p.byteLength))
      expect(frames[2].every(b => b === 7) && frames[3].every(b => b === 9)).to.equal(true)
      expect(decoder.byteLength).to.equal(0)
    }
  })

  it('fails on a length prefix longer than the largest frame needs, without waiting for more', () => {
    const decoder = new FrameDecoder(DEFAULT_MAX_MESSAGE_SIZE)
    decoder.push(new Uint8Array(maxPrefixBytes(DEFAULT_MAX_MESSAGE_SIZE) - 1).fill(0xff))
    expect(decoder.next()).to.equal(undefined)
    decoder.push(Uint8Array.of(0xff))
    expect(() => decoder.next()).to.throw().with.property('name', 'InvalidMessageError')
  })

  it('refuses a frame above the limit on its prefix alone, and takes it once the limit is raised', () => {
    const frame = encodeFrame(new Uint8Array(MAX_HANDSHAKE_SIZE + 1))
    const decoder = new FrameDecoder(DEFAULT_MAX_MESSAGE_SIZE, MAX_HANDSHAKE_SIZE)
    decoder.push(frame.subarray(0, 3))
    expect(() => decoder.next()).to.throw().with.property('name', 'MessageTooLargeError')

    decoder.limit = DEFAULT_MAX_MESSAGE_SIZE
    decoder.push(frame.subarray(3))
    expect(decoder.next()?.byteLength).to.equal(MAX_HANDSHAKE_SIZE + 1)
  })

  it('decodes messages from CBOR and names a payload that is not CBOR', () => {
    const join = { type: 'join', senderId: 'a', peerMetadata: {}, supportedProtocolVersions: ['1'] }
    const decoded = decodeMessage(encodeMessage(join))
    expect(decoded).to.deep.equal(join)
    expect(isJoinMessage(decoded)).to.equal(true)
    expect(isJoinMessage({ ...join, senderId: 42 })).to.equal(false)
    expect(() => decodeMessage(Uint8Array.of(0xff, 0xff))).to.throw().with.property('name', 'InvalidMessageError')
  })
})
