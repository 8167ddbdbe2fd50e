/**
 * The sync stream's framing on real libp2p streams: what goes out in one write, and what comes in.
 */
import { defaultLogger } from '@libp2p/logger'
import { expect } from 'aegir/chai'
import { createNode } from '../harness/sync-nodes.ts'
import { FramedStream } from '../src/sync/framed-stream.ts'
import type { Libp2p, Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

const PROTOCOL = '/docpeer-test/frames/1.0.0'

describe('sync: framed stream', () => {
  let nodes: Libp2p[] = []
  let inbound: Promise<Stream>
  let outbound: Stream
  let sends: number

  beforeEach(async () => {
    nodes = [await createNode(), await createNode()]
    inbound = new Promise(resolve => {
      void nodes[1].handle(PROTOCOL, stream => { resolve(stream) })
    })
    outbound = await nodes[0].dialProtocol(nodes[1].getMultiaddrs()[0], PROTOCOL)
    sends = 0
    const send = outbound.send.bind(outbound)
    outbound.send = (data: Uint8Array | Uint8ArrayList): boolean => {
      sends++
      return send(data)
    }
  })

  afterEach(async () => {
    await Promise.all(nodes.map(async node => node.stop()))
  })

  function framed (stream: Stream): FramedStream {
    return new FramedStream(stream, { maxMessageSize: 1024 * 1024, maxHandshakeSize: 64 * 1024, log: defaultLogger().forComponent('test') })
  }

  it('sends a message at once, and the messages written while it goes out in one write, in order', async () => {
    const writer = framed(outbound)
    const reader = framed(await inbound)
    reader.allowFullFrames()

    for (let n = 0; n < 100; n++) {
      writer.write({ type: 'sync', n })
    }

    expect(sends).to.equal(1, 'the first message did not go out at once')
    await writer.flushed()
    expect(sends).to.equal(2)

    for (let n = 0; n < 100; n++) {
      expect(await reader.read()).to.deep.equal({ type: 'sync', n })
    }
  })

  it('sends a message written after the last write went out at once', async () => {
    const writer = framed(outbound)
    const reader = framed(await inbound)

    writer.write({ type: 'join', senderId: 'a' })
    await writer.flushed()
    writer.write({ type: 'leave', senderId: 'a' })

    expect(sends).to.equal(2)
    expect(await reader.read()).to.deep.equal({ type: 'join', senderId: 'a' })
    expect(await reader.read()).to.deep.equal({ type: 'leave', senderId: 'a' })
  })

  it('reads up to the handshake limit until full frames are allowed', async () => {
    const writer = framed(outbound)
    const reader = framed(await inbound)

    writer.write({ type: 'sync', data: new Uint8Array(100 * 1024) })

    await expect(reader.read()).to.eventually.be.rejected.with.property('name', 'MessageTooLargeError')
  })
})
