/**
 * docpeer's connection options: yamux that batches its window updates, and encrypted frames that
 * reach the transport in one write. Real libp2p nodes on loopback TCP.
 */
import { createHash } from 'node:crypto'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { expect } from 'aegir/chai'
import { createLibp2p } from 'libp2p'
import { withCoalescedWrites } from '../src/tuning/coalesced-writes.ts'
import { WINDOW_UPDATE_THRESHOLD, docpeerYamux } from '../src/tuning/yamux.ts'
import type { ConnectionEncrypter, Libp2p, MessageStream, Stream, StreamMuxerFactory } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

const PROTOCOL = '/docpeer-test/bytes/1.0.0'
const FRAME_TYPE_WINDOW_UPDATE = 1

interface SentFrame { type: number, flag: number, streamID: number, length: number }

/**
 * Records the header of every frame a muxer hands to its connection (one `send` per frame).
 */
function recordingMuxer (createFactory: () => StreamMuxerFactory, frames: SentFrame[]): () => StreamMuxerFactory {
  return () => {
    const factory = createFactory()
    const createStreamMuxer = factory.createStreamMuxer.bind(factory)

    factory.createStreamMuxer = (connection: MessageStream) => {
      const send = connection.send.bind(connection)

      connection.send = (data: Uint8Array | Uint8ArrayList): boolean => {
        const header = data.subarray(0, 12)
        const view = new DataView(header.buffer, header.byteOffset, 12)
        frames.push({ type: header[1], flag: view.getUint16(2), streamID: view.getUint32(4), length: view.getUint32(8) })
        return send(data)
      }

      return createStreamMuxer(connection)
    }

    return factory
  }
}

/**
 * Records, for every `send` on a raw transport connection, whether it came as one buffer.
 */
function recordingEncrypter<C> (createEncrypter: (components: C) => ConnectionEncrypter, sends: boolean[]): (components: C) => ConnectionEncrypter {
  return (components) => {
    const encrypter = createEncrypter(components)
    const record = (connection: MessageStream): MessageStream => {
      const send = connection.send.bind(connection)
      connection.send = (data: Uint8Array | Uint8ArrayList): boolean => {
        sends.push(data instanceof Uint8Array)
        return send(data)
      }
      return connection
    }
    const secureInbound = encrypter.secureInbound.bind(encrypter)
    const secureOutbound = encrypter.secureOutbound.bind(encrypter)
    encrypter.secureInbound = async (connection, options) => secureInbound(record(connection), options)
    encrypter.secureOutbound = async (connection, options) => secureOutbound(record(connection), options)
    return encrypter
  }
}

interface NodeOptions {
  muxer(): StreamMuxerFactory
  encrypter?(components: any): ConnectionEncrypter
}

async function createNode (options: NodeOptions): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [options.encrypter ?? withCoalescedWrites(noise())],
    streamMuxers: [options.muxer]
  })
}

/**
 * Sends `chunks` on the stream, waiting for 'drain' whenever the stream asks to.
 */
async function sendAll (stream: Stream, chunks: Uint8Array[]): Promise<void> {
  for (const chunk of chunks) {
    if (!stream.send(chunk)) {
      await new Promise(resolve => stream.addEventListener('drain', resolve, { once: true }))
    }
  }
}

/**
 * Hashes what arrives on a stream until `bytes` have arrived.
 */
async function receiveAll (stream: Stream, bytes: number): Promise<string> {
  const hash = createHash('sha256')
  let received = 0

  await new Promise<void>((resolve, reject) => {
    stream.addEventListener('message', (evt: any) => {
      const data: Uint8Array | Uint8ArrayList = evt.data
      hash.update(data instanceof Uint8Array ? data : data.subarray())
      received += data.byteLength

      if (received >= bytes) {
        resolve()
      }
    })
    stream.addEventListener('close', (evt: any) => {
      reject(evt.error ?? new Error(`stream closed after ${received} of ${bytes} bytes`))
    })
  })

  return hash.digest('hex')
}

function randomChunks (count: number, size: number): { chunks: Uint8Array[], digest: string } {
  const hash = createHash('sha256')
  const chunks = Array.from({ length: count }, () => {
    const chunk = crypto.getRandomValues(new Uint8Array(size))
    hash.update(chunk)
    return chunk
  })
  return { chunks, digest: hash.digest('hex') }
}

/**
 * Opens a stream from `a` to `b` and sends `chunks` both ways at once. Resolves to the digests of
 * what each side received.
 */
async function exchange (a: Libp2p, b: Libp2p, chunks: Uint8Array[]): Promise<{ atA: string, atB: string }> {
  const bytes = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0)
  let atB: Promise<string> | undefined
  const inbound = new Promise<void>(resolve => {
    void b.handle(PROTOCOL, (stream: Stream) => {
      atB = receiveAll(stream, bytes)
      void sendAll(stream, chunks)
      resolve()
    })
  })
  const stream = await a.dialProtocol(b.getMultiaddrs()[0], PROTOCOL)
  const atA = receiveAll(stream, bytes)
  await sendAll(stream, chunks)
  await inbound

  return { atA: await atA, atB: await (atB as Promise<string>) }
}

describe('connection options', function () {
  this.timeout(60_000)
  const nodes: Libp2p[] = []

  afterEach(async () => {
    await Promise.all(nodes.splice(0).map(async node => node.stop()))
  })

  it('carries 16 MiB each way, both at once, intact with batched window updates', async () => {
    const a = await createNode({ muxer: docpeerYamux() })
    const b = await createNode({ muxer: docpeerYamux() })
    nodes.push(a, b)
    const { chunks, digest } = randomChunks(256, 64 * 1024)

    const received = await exchange(a, b, chunks)

    expect(received.atA).to.equal(digest)
    expect(received.atB).to.equal(digest)
  })

  it('carries many small messages intact', async () => {
    const a = await createNode({ muxer: docpeerYamux() })
    const b = await createNode({ muxer: docpeerYamux() })
    nodes.push(a, b)
    const { chunks, digest } = randomChunks(20_000, 100)

    const received = await exchange(a, b, chunks)

    expect(received.atA).to.equal(digest)
    expect(received.atB).to.equal(digest)
  })

  for (const [name, muxer, expectBatched] of [['docpeer yamux', docpeerYamux, true], ['plain yamux', yamux, false]] as const) {
    it(`${name}: ${expectBatched ? 'window updates only when 128 KiB of credit has built up' : 'a window update per data frame (the baseline)'}`, async () => {
      const frames: SentFrame[] = []
      const a = await createNode({ muxer: docpeerYamux() })
      const b = await createNode({ muxer: recordingMuxer(muxer(), frames) })
      nodes.push(a, b)
      const messages = 2000
      const size = 100
      let streamID: number | undefined
      const received = new Promise<string>(resolve => {
        void b.handle(PROTOCOL, (stream: Stream) => {
          streamID = Number(stream.id)
          resolve(receiveAll(stream, messages * size))
        })
      })
      const { chunks, digest } = randomChunks(messages, size)
      const stream = await a.dialProtocol(b.getMultiaddrs()[0], PROTOCOL)

      // one message per event loop turn, as automerge-repo sends them
      for (const chunk of chunks) {
        stream.send(chunk)
        await new Promise(resolve => setImmediate(resolve))
      }

      expect(await received).to.equal(digest)
      const updates = frames.filter(frame => frame.type === FRAME_TYPE_WINDOW_UPDATE && frame.flag === 0 && frame.streamID === streamID)

      if (expectBatched) {
        // yamux doubles the window (256 KiB to 16 MiB) while data keeps coming: those growth steps
        // exceed the threshold and go out; otherwise one update per 128 KiB (200,000 bytes sent)
        expect(updates.length).to.be.within(1, 6 + Math.ceil(messages * size / WINDOW_UPDATE_THRESHOLD))
        expect(updates.every(update => update.length >= WINDOW_UPDATE_THRESHOLD)).to.equal(true)
      } else {
        expect(updates.length).to.be.greaterThan(messages / 2)
      }
    })
  }

  it('hands the transport every encrypted frame as one buffer', async () => {
    const sends: boolean[] = []
    const a = await createNode({ muxer: docpeerYamux(), encrypter: recordingEncrypter(withCoalescedWrites(noise()), sends) })
    const b = await createNode({ muxer: docpeerYamux() })
    nodes.push(a, b)
    const { chunks, digest } = randomChunks(200, 1000)

    const received = await exchange(a, b, chunks)

    expect(received.atB).to.equal(digest)
    expect(sends.length).to.be.greaterThan(200)
    expect(sends.every(oneBuffer => oneBuffer)).to.equal(true, 'a send passed a list of chunks')
  })
})
