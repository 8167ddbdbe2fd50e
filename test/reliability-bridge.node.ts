/**
 * The automerge WebSocket bridge and bad clients: a frame that is not a well-formed message, a
 * frame `ws` refuses (over 64 MiB, text that is not UTF-8), or a join that presents a libp2p peer
 * id closes that client. The node (this test's process: the bridge runs in it) stays up, and its
 * libp2p peer and its good WebSocket client keep syncing. `docpeer daemon --automerge-ws` says
 * which client it closed and stops cleanly.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repo } from '@automerge/automerge-repo'
import { cbor } from '@automerge/automerge-repo/slim'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import { expect } from 'aegir/chai'
import WebSocket from 'ws'
import { automergeWebSocketBridge } from '../src/bridge/index.ts'
import { createPeer } from '../src/index.ts'
import { startCli } from './fixtures/cli.ts'
import type { AutomergeWebSocketBridge, RefusedClient } from '../src/bridge/index.ts'
import type { Docpeer } from '../src/index.ts'
import type { DocHandle } from '@automerge/automerge-repo'

const LOOPBACK = { host: '127.0.0.1', mdns: false } as const
const JOIN = { type: 'join', peerMetadata: {}, supportedProtocolVersions: ['1'] }

interface Closed {
  code: number
  /** the `error` message the bridge sent before closing, if any */
  error?: string
}

/**
 * Opens a raw WebSocket to the bridge, sends `frames` one after the other (each once the previous
 * one's answer, if any, came), and resolves with how the bridge closed it.
 */
async function sendAndWaitForClose (url: string, frames: Uint8Array[], options: { binary?: boolean } = {}): Promise<Closed> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url)
    const pending = [...frames]
    let error: string | undefined
    const timer = setTimeout(() => {
      socket.terminate()
      reject(new Error('the bridge did not close the socket within 10 s'))
    }, 10_000)

    socket.on('open', () => { socket.send(pending.shift()!, { binary: options.binary ?? true }) })
    socket.on('message', data => {
      const message = cbor.decode(data as Uint8Array) as { type: string, message?: string }

      if (message.type === 'error') {
        error = message.message
      } else if (pending.length > 0) {
        socket.send(pending.shift()!)
      }
    })
    socket.on('close', code => {
      clearTimeout(timer)
      resolve({ code, error })
    })
    socket.on('error', reject)
  })
}

async function until<T> (handle: DocHandle<T>, predicate: (doc: T) => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000

  while (handle.doc() == null || !predicate(handle.doc())) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out after 20000 ms waiting for ${what}: ${JSON.stringify(handle.doc())}`)
    }

    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

describe('the automerge WebSocket bridge and bad clients', () => {
  let bridge: AutomergeWebSocketBridge | undefined
  let wsRepo: Repo | undefined
  const peers: Docpeer[] = []
  const refused: RefusedClient[] = []

  afterEach(async () => {
    await wsRepo?.shutdown()
    wsRepo = undefined
    await Promise.all(peers.splice(0).map(async peer => peer.stop()))
    await bridge?.close()
    bridge = undefined
    refused.length = 0
  })

  it('closes a client that sends a malformed frame, a frame ws refuses or a libp2p peer id; the node and its other peers go on syncing', async () => {
    bridge = await automergeWebSocketBridge({ port: 0, onRefused: client => { refused.push(client) } })
    const daemon = await createPeer({ ...LOOPBACK, repo: { network: [bridge.adapter] } })
    peers.push(daemon)
    const libp2pPeer = await createPeer(LOOPBACK)
    peers.push(libp2pPeer)
    await libp2pPeer.syncWith(daemon.libp2p.getMultiaddrs()[0])

    wsRepo = new Repo({ network: [new WebSocketClientAdapter(bridge.url)] })
    await wsRepo.networkSubsystem.whenReady()
    const handle = wsRepo.create<{ by: string[] }>({ by: ['websocket client'] })
    const seen = await libp2pPeer.repo!.find<{ by: string[] }>(handle.url, { signal: AbortSignal.timeout(20_000) })

    // each of the first four took the whole process down before the check (automerge's adapter
    // 2.5.6 throws in the socket's message handler)
    const bad: Array<[string, Uint8Array[], RegExp]> = [
      ['CBOR null', [Uint8Array.of(0xf6)], /not an automerge-repo message/],
      ['CBOR undefined', [Uint8Array.of(0xf7)], /not an automerge-repo message/],
      ['a join without a senderId', [cbor.encode(JOIN)], /a malformed join: it needs a senderId/],
      ['a join whose versions are not a list', [cbor.encode({ ...JOIN, senderId: 'app-1', supportedProtocolVersions: 5 })], /a malformed join/],
      ['bytes that are not CBOR', [Uint8Array.of(0x1c)], /not CBOR/],
      ['a message without a targetId after a good join', [cbor.encode({ ...JOIN, senderId: 'app-2' }), cbor.encode({ type: 'sync', senderId: 'app-2', documentId: 'x' })], /not an automerge-repo message/],
      ['a join with the libp2p peer\'s id', [cbor.encode({ ...JOIN, senderId: libp2pPeer.peerId.toString() })], /cannot use a libp2p peer id/]
    ]

    for (const [what, frames, reason] of bad) {
      const closed = await sendAndWaitForClose(bridge.url, frames)
      expect(closed.code, what).to.equal(1008)
      expect(closed.error, what).to.match(reason)
    }

    expect(refused.map(client => client.senderId)).to.deep.equal([undefined, undefined, undefined, 'app-1', undefined, 'app-2', libp2pPeer.peerId.toString()])

    // frames ws itself refuses, which it reports as a socket error: with no listener for it, that
    // also ended the process
    const tooLarge = await sendAndWaitForClose(bridge.url, [new Uint8Array(64 * 1024 * 1024 + 1)])
    expect(tooLarge.code).to.equal(1009)
    const notUtf8 = await sendAndWaitForClose(bridge.url, [Uint8Array.of(0xff, 0xfe)], { binary: false })
    expect(notUtf8.code).to.equal(1007)
    expect(refused.slice(7).map(client => client.reason)).to.deep.equal(['Max payload size exceeded', 'Invalid WebSocket frame: invalid UTF-8 sequence'])

    // the libp2p peer whose id was claimed still gets the client's changes through the daemon,
    // and the client gets the peer's
    handle.change(doc => { doc.by.push('after the bad clients') })
    await until(seen, doc => doc.by.includes('after the bad clients'), 'the libp2p peer to see the WebSocket client\'s change')
    seen.change(doc => { doc.by.push('libp2p peer') })
    await until(handle, doc => doc.by.includes('libp2p peer'), 'the WebSocket client to see the libp2p peer\'s change')
  })

  it('docpeer daemon --automerge-ws prints the client it closed, goes on and exits 0 on SIGINT', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'docpeer-bridge-'))

    try {
      const daemon = startCli(['daemon', '--data-dir', dir, '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--no-control', '--automerge-ws', '0'])
      const url = (await daemon.waitFor(/^automerge WebSocket sync on ws:/)).split(' ').at(-1)!

      // before the check, this one frame ended the daemon
      const closed = await sendAndWaitForClose(url, [Uint8Array.of(0xf6)])
      expect(closed.code).to.equal(1008)
      await daemon.waitFor(/^automerge WebSocket client \(no id\) closed: not an automerge-repo message/)

      // still serving: a good client joins and is answered
      const again = new WebSocket(url)
      const answer = await new Promise<string>((resolve, reject) => {
        again.on('open', () => { again.send(cbor.encode({ ...JOIN, senderId: 'app-after' })) })
        again.on('message', data => { resolve((cbor.decode(data as Uint8Array) as { type: string }).type) })
        again.on('error', reject)
      })
      again.close()
      expect(answer).to.equal('peer')
      expect(await daemon.stop('SIGINT')).to.equal(0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
