/**
 * Workload 6: the transport floor. Bulk bytes and 100-byte round trips over a raw TCP socket, a
 * WebSocket (what the anchor runs on) and a fresh libp2p stream (docpeer's stack: TCP + noise +
 * yamux; and TCP + TLS + yamux for comparison), all on 127.0.0.1.
 *
 * Byte-stream protocol (TCP and libp2p): the client starts with one mode byte, `B` (bulk: an 8-byte
 * big-endian length follows, then that many bytes, then the server answers one byte) or `E` (echo:
 * everything after it comes back). WebSocket: the first message is the mode byte (+ length), the
 * rest are data messages.
 */
import { once } from 'node:events'
import { createConnection, createServer } from 'node:net'
import { WebSocket, WebSocketServer, createWebSocketStream } from 'ws'
import type { Docpeer } from '../../../src/node/peer.ts'
import type { Stream } from '@libp2p/interface'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'

export type TransportKind = 'libp2p' | 'libp2p-stock' | 'libp2p-tls' | 'tcp' | 'ws'

const PROTOCOL = '/docpeer-bench/transport/1.0.0'
const CHUNK = 64 * 1024

/**
 * Server side of one connection, fed every received byte. Returns what to send back.
 */
class ServerSession {
  private readonly header = new Uint8Array(9)
  private headerLength = 0
  private echo = false
  private expected = -1
  private received = 0

  feed (data: Uint8Array): Uint8Array | undefined {
    if (this.echo) {
      return data
    }

    while (this.expected < 0 && data.byteLength > 0) {
      const take = Math.min(this.headerLength === 0 ? 1 : 9 - this.headerLength, data.byteLength)
      this.header.set(data.subarray(0, take), this.headerLength)
      this.headerLength += take
      data = data.subarray(take)

      if (this.header[0] === 0x45) { // 'E'
        this.echo = true
        return data.byteLength > 0 ? data : undefined
      }

      if (this.headerLength === 9) {
        this.expected = Number(new DataView(this.header.buffer).getBigUint64(1))
      }
    }

    if (this.expected < 0) {
      return undefined
    }

    this.received += data.byteLength

    if (this.received >= this.expected) {
      this.expected = -1
      this.headerLength = 0
      this.received = 0
      return Uint8Array.of(1)
    }

    return undefined
  }
}

function bulkHeader (bytes: number): Uint8Array {
  const header = new Uint8Array(9)
  header[0] = 0x42
  new DataView(header.buffer).setBigUint64(1, BigInt(bytes))
  return header
}

let node: Docpeer | undefined
let tcpServer: ReturnType<typeof createServer> | undefined
let wsServer: WebSocketServer | undefined

async function createNode (kind: TransportKind): Promise<Docpeer> {
  const { createPeer } = await import('../../../src/node/peer.ts')
  const overrides: Record<string, any> = {}

  if (kind === 'libp2p-tls') {
    const { tls } = await import('@libp2p/tls')
    overrides.connectionEncrypters = [tls()]
  }

  if (kind === 'libp2p-stock') {
    // noise and yamux as their packages come, without docpeer's wrappers (src/tuning/yamux.ts,
    // src/tuning/coalesced-writes.ts)
    const [{ noise }, { yamux }] = await Promise.all([import('@libp2p/noise'), import('@libp2p/yamux')])
    overrides.connectionEncrypters = [noise()]
    overrides.streamMuxers = [yamux()]
  }

  return createPeer({ mdns: false, listen: ['/ip4/127.0.0.1/tcp/0'], libp2p: overrides })
}

/**
 * Server: listens for one kind of transport. Returns the address to reach it.
 */
export async function serve (kind: TransportKind): Promise<string> {
  if (kind === 'tcp') {
    tcpServer = createServer(socket => {
      const session = new ServerSession()
      socket.on('data', (data: Buffer) => {
        const reply = session.feed(data)
        if (reply != null) {
          socket.write(reply)
        }
      })
      socket.on('error', () => {})
    })
    tcpServer.listen(0, '127.0.0.1')
    await once(tcpServer, 'listening')
    return `127.0.0.1:${(tcpServer.address() as { port: number }).port}`
  }

  if (kind === 'ws') {
    wsServer = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    wsServer.on('connection', ws => {
      const session = new ServerSession()
      ws.on('message', (data: Buffer) => {
        const reply = session.feed(data)
        if (reply != null) {
          ws.send(reply)
        }
      })
    })
    await once(wsServer, 'listening')
    return `ws://127.0.0.1:${(wsServer.address() as { port: number }).port}`
  }

  node = await createNode(kind)
  await node.libp2p.handle(PROTOCOL, (stream: Stream) => {
    const session = new ServerSession()
    stream.addEventListener('message', (evt: any) => {
      const chunks: Iterable<Uint8Array> = evt.data instanceof Uint8Array ? [evt.data] : evt.data

      for (const chunk of chunks) {
        const reply = session.feed(chunk)
        if (reply != null) {
          // replies are small (echo of what came in, or one byte): no backpressure to wait for
          stream.send(reply)
        }
      }
    })
  })
  return node.libp2p.getMultiaddrs()[0].toString()
}

/**
 * A client connection: bytes out with backpressure, bytes in as a count.
 */
interface ClientConnection {
  write(data: Uint8Array): Promise<void>
  /**
   * Resolves when `bytes` more bytes have arrived.
   */
  receive(bytes: number): Promise<void>
  close(): Promise<void>
}

class Receiver {
  private received = 0
  private wanted = 0
  private waiter?: () => void

  onData (bytes: number): void {
    this.received += bytes

    if (this.waiter != null && this.received >= this.wanted) {
      this.received -= this.wanted
      const waiter = this.waiter
      this.waiter = undefined
      waiter()
    }
  }

  async receive (bytes: number): Promise<void> {
    if (this.received >= bytes) {
      this.received -= bytes
      return
    }

    this.wanted = bytes
    await new Promise<void>(resolve => { this.waiter = resolve })
  }
}

async function connectClient (kind: TransportKind, address: string): Promise<ClientConnection> {
  const receiver = new Receiver()

  if (kind === 'tcp') {
    const [host, port] = address.split(':')
    const socket: Socket = createConnection({ host, port: Number(port), noDelay: true })
    await once(socket, 'connect')
    socket.on('data', (data: Buffer) => { receiver.onData(data.byteLength) })
    return {
      write: async data => {
        if (!socket.write(data)) {
          await once(socket, 'drain')
        }
      },
      receive: async bytes => { await receiver.receive(bytes) },
      close: async () => { socket.destroy() }
    }
  }

  if (kind === 'ws') {
    const ws = new WebSocket(address, { perMessageDeflate: false })
    await once(ws, 'open')
    ws.on('message', (data: Buffer) => { receiver.onData(data.byteLength) })
    // a stream over the socket gives write() backpressure; every write is one message
    const duplex: Duplex = createWebSocketStream(ws)
    duplex.on('data', () => {})
    return {
      write: async data => {
        if (!duplex.write(data)) {
          await once(duplex, 'drain')
        }
      },
      receive: async bytes => { await receiver.receive(bytes) },
      close: async () => { ws.terminate() }
    }
  }

  node ??= await createNode(kind)
  const stream = await node.libp2p.dialProtocol(await import('@multiformats/multiaddr').then(m => m.multiaddr(address)), PROTOCOL)
  stream.addEventListener('message', (evt: any) => { receiver.onData(evt.data.byteLength) })
  return {
    write: async data => {
      if (!stream.send(data)) {
        // not stream.onDrain(): in @libp2p/utils 7.4.1 it resolves at once after the first drain
        await once(stream as any, 'drain')
      }
    },
    receive: async bytes => { await receiver.receive(bytes) },
    close: async () => { stream.abort(new Error('done')) }
  }
}

/**
 * Client: connects (timed) and sends `bytes` in 64 KiB writes, until the server acknowledges the
 * last byte (timed). Returns both times in ms.
 */
export async function bulk (kind: TransportKind, address: string, bytes: number): Promise<{ connectMs: number, bulkMs: number }> {
  if (kind !== 'tcp' && kind !== 'ws') {
    node ??= await createNode(kind)
  }

  const chunk = new Uint8Array(CHUNK).fill(7)
  const connectStart = performance.now()
  const conn = await connectClient(kind, address)
  const connectMs = performance.now() - connectStart

  const start = performance.now()
  await conn.write(bulkHeader(bytes))

  for (let sent = 0; sent < bytes; sent += CHUNK) {
    await conn.write(sent + CHUNK <= bytes ? chunk : chunk.subarray(0, bytes - sent))
  }

  await conn.receive(1)
  const bulkMs = performance.now() - start
  await conn.close()
  return { connectMs, bulkMs }
}

/**
 * Client: `count` round trips of `size` bytes on one connection. Returns the mean round trip in µs.
 */
export async function rtt (kind: TransportKind, address: string, count: number, size: number): Promise<number> {
  const conn = await connectClient(kind, address)
  const payload = new Uint8Array(size).fill(3)
  await conn.write(Uint8Array.of(0x45))

  // warm up the path (JIT, window sizes) before timing
  for (let i = 0; i < 200; i++) {
    await conn.write(payload)
    await conn.receive(size)
  }

  const start = performance.now()

  for (let i = 0; i < count; i++) {
    await conn.write(payload)
    await conn.receive(size)
  }

  const us = (performance.now() - start) * 1000 / count
  await conn.close()
  return us
}
