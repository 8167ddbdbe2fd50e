/**
 * A docpeer browser peer in real Chromium against a Node server-role docpeer: WebSockets, a relay
 * reservation, browser-to-browser WebRTC through the relay, WebRTC Direct to the server.
 *
 * Runs inside scripts/netns-run.sh (npm run test:browser).
 */
import { fileURLToPath } from 'node:url'
import { expect } from 'aegir/chai'
import { createPeer } from '../../src/index.ts'
import { NETNS_HOST, startHarness } from './fixtures/harness.ts'
import type { BrowserHarness } from './fixtures/harness.ts'
import type { Docpeer } from '../../src/index.ts'
import type { Page } from 'playwright-core'

const PAGE_ENTRY = fileURLToPath(new URL('./fixtures/page.ts', import.meta.url))

function serverAddr (server: Docpeer, transport: string): string {
  const addr = server.libp2p.getMultiaddrs().map(ma => ma.toString()).find(a => a.includes(transport))

  if (addr == null) {
    throw new Error(`server has no ${transport} address`)
  }

  return addr
}

async function startPage (harness: BrowserHarness, init: Record<string, unknown> = {}): Promise<{ page: Page, peerId: string }> {
  const page = await harness.openPage()
  const peerId = await page.evaluate(async (init) => window.docpeerTest.start(init), init)
  return { page, peerId }
}

describe('browser peer in Chromium (libp2p)', function () {
  this.timeout(60_000)

  let harness: BrowserHarness
  let server: Docpeer

  before(async () => {
    harness = await startHarness(PAGE_ENTRY)
  })

  after(async () => {
    await harness?.stop()
  })

  beforeEach(async () => {
    server = await createPeer({ role: 'server', host: NETNS_HOST, mdns: false, iceServers: [] })
  })

  afterEach(async function () {
    await harness.logs.endTest(this.currentTest)

    for (const context of harness.browser.contexts()) {
      await context.close()
    }

    await server?.stop()
  })

  /**
   * Two pages connected to the server, and page a's relayed WebRTC address. The pages' discovery
   * dialers are off: the test dials, and they would race it with a handshake of their own.
   */
  async function twoPagesOnTheRelay (): Promise<{ a: { page: Page, peerId: string }, b: { page: Page, peerId: string }, addrA: string }> {
    const a = await startPage(harness, { dialDiscovered: false })
    const b = await startPage(harness, { dialDiscovered: false })
    const ws = serverAddr(server, '/ws/')

    await a.page.evaluate(async (addr) => window.docpeerTest.dial(addr), ws)
    await b.page.evaluate(async (addr) => window.docpeerTest.dial(addr), ws)
    const [addrA] = await a.page.evaluate(async () => window.docpeerTest.waitForAddress('/p2p-circuit/webrtc'))
    return { a, b, addrA }
  }

  it('dials a server over ws:// and pings it', async () => {
    const { page, peerId } = await startPage(harness)
    const ws = serverAddr(server, '/ws/')

    const connection = await page.evaluate(async (addr) => window.docpeerTest.dial(addr), ws)
    expect(connection.remotePeer).to.equal(server.peerId.toString())
    expect(connection.transport).to.equal('websocket')

    const rtt = await page.evaluate(async (id) => window.docpeerTest.ping(id), server.peerId.toString())
    expect(rtt).to.be.a('number')
    expect(server.libp2p.getConnections().map(c => c.remotePeer.toString())).to.include(peerId)
  })

  it('takes a relay reservation and gets a /p2p-circuit/webrtc address', async () => {
    const { page } = await startPage(harness)
    await page.evaluate(async (addr) => window.docpeerTest.dial(addr), serverAddr(server, '/ws/'))

    const addresses = await page.evaluate(async () => window.docpeerTest.waitForAddress('/p2p-circuit/webrtc'))
    expect(addresses.some(a => a.includes(`/p2p/${server.peerId.toString()}/p2p-circuit/webrtc/`))).to.equal(true)
  })

  it('connects two pages over WebRTC through the relay', async () => {
    const { a, b, addrA } = await twoPagesOnTheRelay()

    const connection = await b.page.evaluate(async (addr) => window.docpeerTest.dial(addr), addrA)
    expect(connection.remotePeer).to.equal(a.peerId)
    expect(connection.transport).to.equal('webrtc')
    expect(connection.limited).to.equal(false)

    // traffic flows on the direct connection, and the other side sees it as WebRTC too
    const rtt = await b.page.evaluate(async (id) => window.docpeerTest.ping(id), a.peerId)
    expect(rtt).to.be.a('number')
    const seenByA = await a.page.evaluate(() => window.docpeerTest.connections())
    expect(seenByA.filter(c => c.remotePeer === b.peerId).map(c => c.transport)).to.include('webrtc')
  })

  it('an explicit WebRTC dial whose handshake times out is tried once more', async () => {
    const { a, b, addrA } = await twoPagesOnTheRelay()

    // a's first signalling stream is never answered: b's first handshake runs into the dial timeout
    await a.page.evaluate(async () => window.docpeerTest.stallNextSignaling())
    const connection = await b.page.evaluate(async (addr) => window.docpeerTest.dial(addr), addrA)
    expect(connection.remotePeer).to.equal(a.peerId)
    expect(connection.transport).to.equal('webrtc')
    expect(await a.page.evaluate(() => window.docpeerTest.signalingStreams())).to.equal(2)
  })

  it('two pages find each other through the server and connect over WebRTC', async () => {
    const a = await startPage(harness)
    const b = await startPage(harness)
    const ws = serverAddr(server, '/ws/')

    // each page only dials the server; pubsub discovery through it and the discovery dialer do the rest
    await a.page.evaluate(async (addr) => window.docpeerTest.dial(addr), ws)
    await b.page.evaluate(async (addr) => window.docpeerTest.dial(addr), ws)

    const connection = await a.page.evaluate(async (id) => window.docpeerTest.waitForConnection(id, 'webrtc'), b.peerId)
    expect(connection.transport).to.equal('webrtc')
    expect(connection.limited).to.equal(false)
  })

  it('dials the server over /webrtc-direct', async () => {
    const { page, peerId } = await startPage(harness)
    const direct = serverAddr(server, '/webrtc-direct/')

    const connection = await page.evaluate(async (addr) => window.docpeerTest.dial(addr), direct)
    expect(connection.remotePeer).to.equal(server.peerId.toString())
    expect(connection.transport).to.equal('webrtc-direct')

    const rtt = await page.evaluate(async (id) => window.docpeerTest.ping(id), server.peerId.toString())
    expect(rtt).to.be.a('number')
    expect(server.libp2p.getConnections().map(c => c.remotePeer.toString())).to.include(peerId)
  })
})
