/**
 * A WebSocket frame that `ws` refuses, sent to a daemon's or a server's libp2p `/ws` listener by
 * anyone who can reach the port (no noise, no peer id), closes that socket only: the node (this
 * test's process) stays up, and a libp2p peer dials it over `/ws` and syncs a document afterwards.
 * Before the guard (src/config/websocket-listener-errors.ts) the first of these frames ended the
 * process: `@libp2p/websockets` listens for no `error` event on its inbound sockets.
 */
import { expect } from 'aegir/chai'
import WebSocket from 'ws'
import { loopbackPeer } from '../harness/peers.ts'
import type { Docpeer } from '../src/index.ts'

const LOOPBACK_WS = '/ip4/127.0.0.1/tcp/0/ws'

/**
 * Opens a WebSocket to `url`, sends `frame` and resolves with the close code the listener gave.
 */
async function closeCodeAfter (url: string, frame: Uint8Array, binary: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url)
    const timer = setTimeout(() => {
      socket.terminate()
      reject(new Error(`the listener at ${url} did not close the socket within 10 s`))
    }, 10_000)

    socket.on('open', () => { socket.send(frame, { binary }) })
    socket.on('close', code => {
      clearTimeout(timer)
      resolve(code)
    })
    socket.on('error', reject)
  })
}

describe('libp2p\'s WebSocket listener and frames ws refuses', () => {
  const peers: Docpeer[] = []

  afterEach(async () => {
    await Promise.all(peers.splice(0).map(async peer => peer.stop()))
  })

  for (const role of ['daemon', 'server'] as const) {
    it(`a ${role} closes the socket and goes on serving libp2p peers over /ws`, async () => {
      const node = await loopbackPeer({ role, listen: [LOOPBACK_WS] })
      const client = await loopbackPeer()
      peers.push(node, client)
      const address = node.libp2p.getMultiaddrs().find(ma => ma.toString().includes('/ws/'))
      expect(address, 'a /ws address').to.not.equal(undefined)
      const [, host, port] = /^\/ip4\/([^/]+)\/tcp\/(\d+)\/ws\//.exec(address!.toString()) ?? []
      const url = `ws://${host}:${port}`

      // text that is not UTF-8 (1007), and a frame with a reserved opcode (1002)
      expect(await closeCodeAfter(url, Uint8Array.of(0xff, 0xfe), false)).to.equal(1007)
      const raw = new WebSocket(url)
      const rawClosed = new Promise<number>(resolve => raw.on('close', resolve))
      await new Promise(resolve => raw.on('open', resolve))
      // FIN + opcode 0x3 (reserved), masked, empty payload: written under ws's framing
      ;(raw as unknown as { _socket: { write(bytes: Uint8Array): void } })._socket.write(Uint8Array.of(0x83, 0x80, 0, 0, 0, 0))
      expect(await rawClosed).to.equal(1002)

      // still listening and upgrading: a libp2p peer dials over /ws and syncs
      await client.syncWith(address!)
      const handle = node.repo!.create<{ n: number }>({ n: 1 })
      const seen = await client.repo!.find<{ n: number }>(handle.url, { signal: AbortSignal.timeout(20_000) })
      expect(seen.doc().n).to.equal(1)
    })
  }
})
