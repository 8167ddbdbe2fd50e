/**
 * Stopping the server role's WebRTC Direct listener (src/config/ice-udp-mux-guard.ts): node-datachannel
 * 0.33.4's native `IceUdpMuxListener.stop()` skips unregistering its STUN callback when an
 * uninitialised flag reads non-zero, then frees the listener, and the next STUN binding request for
 * an unknown ufrag aborts the process. Browsers redial WebRTC Direct, which is how the demo's stops
 * aborted; here the requests are written by hand, on loopback.
 *
 * Measured with the guard's import removed from src/config/server.ts: the restart test failed in 5 of
 * 5 runs ("Failed to register ICE UDP mux listener": the callback left behind still holds the port),
 * the STUN test aborted the test process in 4 of 5 runs (SIGABRT; once as glibc's
 * `__pthread_mutex_lock_full` assertion, the same lock on freed memory). With it: 0 of 5 each.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createSocket } from 'node:dgram'
import { fileURLToPath } from 'node:url'
import { expect } from 'aegir/chai'
import { createPeer, keepStoppedWebRTCDirectListeners } from '../src/index.ts'
import type { Docpeer } from '../src/index.ts'

const HOST = '127.0.0.1'
const CHILD = fileURLToPath(new URL('./fixtures/server-stop-exit.ts', import.meta.url))
const STUN_MAGIC = 0x2112A442

/**
 * A STUN binding request as a WebRTC Direct dialer sends it: USERNAME `<server ufrag>:<dialer ufrag>`
 * and a MESSAGE-INTEGRITY attribute (libjuice looks for the listener before it checks integrity).
 */
function bindingRequest (): Buffer {
  const ufrag = `libp2p+webrtc+v1/${randomBytes(8).toString('hex')}`
  const username = Buffer.from(`${ufrag}:${ufrag}`)
  const padded = Buffer.alloc(Math.ceil(username.length / 4) * 4)
  username.copy(padded)
  const attributes = Buffer.concat([
    attribute(0x0006, padded, username.length),
    attribute(0x0008, Buffer.alloc(20), 20)
  ])
  const header = Buffer.alloc(20)
  header.writeUInt16BE(0x0001, 0)
  header.writeUInt16BE(attributes.length, 2)
  header.writeUInt32BE(STUN_MAGIC, 4)
  randomBytes(12).copy(header, 8)
  return Buffer.concat([header, attributes])
}

function attribute (type: number, value: Buffer, length: number): Buffer {
  const head = Buffer.alloc(4)
  head.writeUInt16BE(type, 0)
  head.writeUInt16BE(length, 2)
  return Buffer.concat([head, value])
}

async function freeUdpPort (): Promise<number> {
  const socket = createSocket('udp4')
  await new Promise<void>(resolve => { socket.bind(0, HOST, resolve) })
  const { port } = socket.address()
  await new Promise<void>(resolve => { socket.close(() => { resolve() }) })
  return port
}

async function sendBindingRequests (port: number, count: number): Promise<void> {
  const socket = createSocket('udp4')

  try {
    for (let i = 0; i < count; i++) {
      await new Promise<void>((resolve, reject) => {
        socket.send(bindingRequest(), port, HOST, err => { err == null ? resolve() : reject(err) })
      })
    }
  } finally {
    socket.close()
  }
}

/**
 * How the child ended within `ms`: its exit code, or 'running' (then it is killed).
 */
async function childEnd (args: string[], ms: number): Promise<number | 'running'> {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: 'ignore' })
  const exited = new Promise<number>(resolve => { child.once('exit', code => { resolve(code ?? -1) }) })
  let timer: ReturnType<typeof setTimeout> | undefined
  const running = new Promise<'running'>(resolve => { timer = setTimeout(() => { resolve('running') }, ms) })
  const end = await Promise.race([exited, running])
  clearTimeout(timer)

  if (end === 'running') {
    child.kill('SIGKILL')
    await exited
  }

  return end
}

async function startServer (webrtcDirect: number): Promise<Docpeer> {
  return createPeer({ role: 'server', host: HOST, mdns: false, repo: false, iceServers: [], ports: { tcp: 0, ws: 0, webrtcDirect } })
}

function listensOn (peer: Docpeer, port: number): boolean {
  return peer.libp2p.getMultiaddrs().some(ma => ma.toString().startsWith(`/ip4/${HOST}/udp/${port}/webrtc-direct/`))
}

describe('server: stopping the WebRTC Direct listener', function () {
  this.timeout(60_000)

  // as the daemon command and the demo do: mocha ends this process with process.exit() (--exit)
  before(() => { keepStoppedWebRTCDirectListeners() })
  after(() => { keepStoppedWebRTCDirectListeners(false) })

  it('gives @libp2p/webrtc the guarded IceUdpMuxListener', async () => {
    const server = await startServer(0)
    await server.stop()
    // imported only now: an import at the top of this file would load node-datachannel first
    const { IceUdpMuxListener } = await import('node-datachannel')
    expect(IceUdpMuxListener.name, 'node-datachannel was loaded before docpeer guarded it: does a test file import @libp2p/webrtc (or the browser config) before src/config/ice-udp-mux-guard.ts?').to.equal('ParkingIceUdpMuxListener')
  })

  it('listens on the same WebRTC Direct port again after a stop, in the same process', async () => {
    const port = await freeUdpPort()

    for (let round = 0; round < 5; round++) {
      const server = await startServer(port)

      try {
        expect(listensOn(server, port), `round ${round + 1}`).to.equal(true)
      } finally {
        await server.stop()
      }
    }
  })

  it('lives through STUN binding requests that reach the port after the server stopped', async () => {
    // a fresh port each round, so a registration left behind cannot fail the next listen first
    for (let round = 0; round < 5; round++) {
      const port = await freeUdpPort()
      const server = await startServer(port)
      await server.stop()
      await sendBindingRequests(port, 10)
      // the mux thread handles them on its own; an abort would end this process here
      await new Promise(resolve => setTimeout(resolve, 200))
    }
  })

  it('by default frees a stopped listener, so a script\'s process ends by itself', async () => {
    expect(await childEnd([], 20_000)).to.equal(0)
  })

  it('a kept listener holds the event loop: such a process must end with process.exit()', async () => {
    expect(await childEnd(['keep'], 8_000)).to.equal('running')
  })
})
