/**
 * Document sync of browser peers in real Chromium: with a Node server-role peer over WebSockets and
 * WebRTC Direct, between two pages over their direct WebRTC connection, from IndexedDB after a
 * reload, and between tabs through a BroadcastChannel.
 *
 * Runs inside scripts/netns-run.sh (npm run test:browser).
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { expect } from 'aegir/chai'
import { createPeer, SYNC_PROTOCOL } from '../../src/index.ts'
import { NETNS_HOST, startHarness } from './fixtures/harness.ts'
import type { BrowserHarness } from './fixtures/harness.ts'
import type { PageLogs } from './fixtures/page-logs.ts'
import type { Docpeer } from '../../src/index.ts'
import type { AutomergeUrl, DocHandle } from '@automerge/automerge-repo'
import type { BrowserContext, Page } from 'playwright-core'

const PAGE_ENTRY = fileURLToPath(new URL('./fixtures/page.ts', import.meta.url))
const SERVER_PROCESS = fileURLToPath(new URL('./fixtures/server-process.ts', import.meta.url))

interface ServerProcess {
  peerId: string
  addrs: string[]
  stop(): Promise<void>
}

/**
 * A server-role peer in a child process (see fixtures/server-process.ts for why). What happens to it
 * is kept in `logs` among the pages' lines: its stderr, when it exits and how, and an exit the test
 * did not ask for (a crash), which the pages would only show as a server gone away.
 */
async function startServerProcess (logs: PageLogs): Promise<ServerProcess> {
  const child = spawn(process.execPath, [SERVER_PROCESS, NETNS_HOST], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stopAt: number | undefined
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.once('exit', (code, signal) => {
    const why = stopAt == null ? 'by itself' : `${Date.now() - stopAt} ms after SIGINT`
    logs.note(`the server process (pid ${child.pid}) exited ${why}: code ${code}, signal ${signal}`)
  })
  createInterface({ input: child.stderr }).on('line', line => {
    process.stderr.write(`${line}\n`)
    logs.note(`server process stderr: ${line}`)
  })
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve)
    child.once('exit', code => { reject(new Error(`server process exited with ${code}`)) })
  })
  const { peerId, addrs } = JSON.parse(line)

  return {
    peerId,
    addrs,
    async stop () {
      if (child.exitCode == null && child.signalCode == null) {
        stopAt ??= Date.now()
        child.kill('SIGINT')
      }

      await exited
    }
  }
}

function serverAddr (server: Docpeer, transport: string): string {
  const addr = server.libp2p.getMultiaddrs().map(ma => ma.toString()).find(a => a.includes(transport))

  if (addr == null) {
    throw new Error(`server has no ${transport} address`)
  }

  return addr
}

function repoOf (peer: Docpeer): NonNullable<Docpeer['repo']> {
  if (peer.repo == null) {
    throw new Error('peer has no Repo')
  }

  return peer.repo
}

/**
 * Resolves once `doc[key]` equals `value` (compared as JSON) on a Node peer's handle.
 */
async function waitForValue (handle: DocHandle<any>, key: string, value: unknown): Promise<void> {
  const matches = (): boolean => JSON.stringify(handle.doc()?.[key]) === JSON.stringify(value)

  while (!matches()) {
    await new Promise(resolve => handle.once('change', resolve))
  }
}

async function startPage (harness: BrowserHarness, context?: BrowserContext, init: Record<string, unknown> = {}, broadcastChannel = false): Promise<{ page: Page, peerId: string }> {
  const page = await harness.openPage(context)
  const peerId = await page.evaluate(async ([init, broadcastChannel]) => window.docpeerTest.start(init as any, { broadcastChannel: broadcastChannel as boolean }), [init, broadcastChannel] as const)
  return { page, peerId }
}

describe('browser peer in Chromium (document sync)', function () {
  this.timeout(90_000)

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

  it('a page and the server converge over WebSockets, in both directions', async () => {
    const { page } = await startPage(harness)
    const connection = await page.evaluate(async (addr) => window.docpeerTest.syncWith(addr), serverAddr(server, '/ws/'))
    expect(connection.transport).to.equal('websocket')

    // server -> page: a document the server made, fetched by URL
    const fromServer = repoOf(server).create({ title: 'made on the server', items: ['a'] })
    const seen = await page.evaluate(async (url) => window.docpeerTest.read(url), fromServer.url)
    expect(seen).to.deep.equal({ title: 'made on the server', items: ['a'] })

    // page -> server: a change made in the page reaches the server's copy
    await page.evaluate(async (url) => { await window.docpeerTest.set(url, 'items', ['a', 'b from the page']) }, fromServer.url)
    await waitForValue(fromServer, 'items', ['a', 'b from the page'])

    // page -> server: a document the page made, fetched by the server
    const pageUrl = await page.evaluate(() => window.docpeerTest.create({ note: 'made in the page' }))
    const onServer = await repoOf(server).find<any>(pageUrl as AutomergeUrl)
    expect(onServer.doc()).to.deep.equal({ note: 'made in the page' })

    // server -> page: a later change by the server
    onServer.change(d => { d.note = 'edited on the server' })
    const after = await page.evaluate(async (url) => window.docpeerTest.waitFor(url, 'note', 'edited on the server'), pageUrl)
    expect(after).to.deep.equal({ note: 'edited on the server' })
  })

  it('two pages sync over their direct WebRTC connection, and keep syncing after the server stops', async () => {
    // this test stops the server while the pages are connected: a server of its own, in a process
    const daemon = await startServerProcess(harness.logs)

    try {
      const a = await startPage(harness)
      const b = await startPage(harness)
      const ws = daemon.addrs.find(a => a.includes('/ws/')) ?? ''
      await a.page.evaluate(async (addr) => window.docpeerTest.syncWith(addr), ws)
      await b.page.evaluate(async (addr) => window.docpeerTest.syncWith(addr), ws)

      // the pages find each other through the server and connect over WebRTC
      const direct = await a.page.evaluate(async (id) => window.docpeerTest.waitForConnection(id, 'webrtc'), b.peerId)
      expect(direct.limited).to.equal(false)

      const url = await a.page.evaluate(() => window.docpeerTest.create({ text: 'from a' }))
      expect(await b.page.evaluate(async (url) => window.docpeerTest.waitFor(url, 'text', 'from a'), url)).to.deep.equal({ text: 'from a' })

      await daemon.stop()

      await b.page.evaluate(async (url) => { await window.docpeerTest.set(url, 'text', 'from b, server gone') }, url)
      await a.page.evaluate(async (url) => window.docpeerTest.waitFor(url, 'text', 'from b, server gone'), url)
      await a.page.evaluate(async (url) => { await window.docpeerTest.set(url, 'reply', 'from a, server gone') }, url)
      await b.page.evaluate(async (url) => window.docpeerTest.waitFor(url, 'reply', 'from a, server gone'), url)

      // the only connection left between them is the WebRTC one, and it carries the sync stream
      const connections = await a.page.evaluate(() => window.docpeerTest.connections())
      expect(connections.map(c => c.transport)).to.deep.equal(['webrtc'])
      expect(connections[0].remotePeer).to.equal(b.peerId)
      expect(connections[0].protocols).to.include(SYNC_PROTOCOL)
    } finally {
      await daemon.stop()
    }
  })

  it('a page reloads and still has its document, from IndexedDB', async () => {
    const dataDir = `reload-${Date.now()}`
    const { page } = await startPage(harness, undefined, { dataDir })
    const url = await page.evaluate(() => window.docpeerTest.create({ kept: 'across reloads' }))
    await page.evaluate(async (url) => { await window.docpeerTest.set(url, 'kept', 'across reloads, edited') }, url)
    // stop() shuts the Repo down, which writes pending changes
    await page.evaluate(async () => { await window.docpeerTest.stop() })

    // no server, no other peer: only IndexedDB can have it
    await page.reload()
    await page.waitForFunction(() => window.docpeerTest != null)
    await page.evaluate(async (dataDir) => window.docpeerTest.start({ dataDir }), dataDir)
    expect(await page.evaluate(async (url) => window.docpeerTest.read(url), url)).to.deep.equal({ kept: 'across reloads, edited' })
    expect(await page.evaluate(() => window.docpeerTest.connections())).to.deep.equal([])
  })

  it('tabs sharing a data directory get peer ids of their own; the first keeps its id across reloads', async () => {
    await server.stop()
    const dataDir = `tabs-${Date.now()}`
    const context = await harness.newContext()
    const first = await startPage(harness, context, { dataDir })
    const second = await startPage(harness, context, { dataDir })
    expect(second.peerId).to.not.equal(first.peerId)

    // the second tab closing does not matter; the first tab reloading gets its stored id back
    await second.page.close()
    await first.page.reload()
    const again = await first.page.evaluate(async (dataDir) => window.docpeerTest.start({ dataDir }), dataDir)
    expect(again).to.equal(first.peerId)
  })

  it('two tabs of one browser sync through a BroadcastChannel with the server stopped', async () => {
    await server.stop()
    const context = await harness.newContext()
    const a = await startPage(harness, context, {}, true)
    const b = await startPage(harness, context, {}, true)

    const url = await a.page.evaluate(() => window.docpeerTest.create({ tab: 'a' }))
    expect(await b.page.evaluate(async (url) => window.docpeerTest.read(url), url)).to.deep.equal({ tab: 'a' })
    await b.page.evaluate(async (url) => { await window.docpeerTest.set(url, 'tab', 'b') }, url)
    await a.page.evaluate(async (url) => window.docpeerTest.waitFor(url, 'tab', 'b'), url)

    // no libp2p connection at all: the BroadcastChannel carried it
    expect(await a.page.evaluate(() => window.docpeerTest.connections())).to.deep.equal([])
    expect(await a.page.evaluate(() => window.docpeerTest.repoPeers())).to.deep.equal([b.peerId])
  })

  it('two tabs reachable over both WebRTC and the BroadcastChannel keep syncing when the WebRTC connection closes', async () => {
    // the same automerge peer over two adapters: losing it on one must not lose it on the other
    const daemon = await startServerProcess(harness.logs)

    try {
      const context = await harness.newContext()
      const a = await startPage(harness, context, {}, true)
      const b = await startPage(harness, context, {}, true)
      const ws = daemon.addrs.find(a => a.includes('/ws/')) ?? ''
      await a.page.evaluate(async (addr) => window.docpeerTest.syncWith(addr), ws)
      await b.page.evaluate(async (addr) => window.docpeerTest.syncWith(addr), ws)
      await a.page.evaluate(async (id) => window.docpeerTest.waitForConnection(id, 'webrtc'), b.peerId)

      const url = await a.page.evaluate(() => window.docpeerTest.create({ step: 1 }))
      await b.page.evaluate(async (url) => window.docpeerTest.waitFor(url, 'step', 1), url)

      // no server, so nothing can set up a new WebRTC connection; then the one there is closes
      await daemon.stop()
      expect(await a.page.evaluate(async (id) => window.docpeerTest.hangUp(id, 'webrtc'), b.peerId)).to.equal(1)
      expect(await a.page.evaluate(() => window.docpeerTest.connections())).to.deep.equal([])

      await a.page.evaluate(async (url) => { await window.docpeerTest.set(url, 'step', 2) }, url)
      await b.page.evaluate(async (url) => window.docpeerTest.waitFor(url, 'step', 2), url)
      await b.page.evaluate(async (url) => { await window.docpeerTest.set(url, 'step', 3) }, url)
      await a.page.evaluate(async (url) => window.docpeerTest.waitFor(url, 'step', 3), url)
      expect(await a.page.evaluate(() => window.docpeerTest.repoPeers())).to.deep.equal([b.peerId])
    } finally {
      await daemon.stop()
    }
  })

  it('a page syncs with the server over /webrtc-direct', async () => {
    const { page } = await startPage(harness)
    const connection = await page.evaluate(async (addr) => window.docpeerTest.syncWith(addr), serverAddr(server, '/webrtc-direct/'))
    expect(connection.transport).to.equal('webrtc-direct')

    const doc = repoOf(server).create({ over: 'webrtc-direct' })
    expect(await page.evaluate(async (url) => window.docpeerTest.read(url), doc.url)).to.deep.equal({ over: 'webrtc-direct' })
    await page.evaluate(async (url) => { await window.docpeerTest.set(url, 'over', 'webrtc-direct, both ways') }, doc.url)
    await waitForValue(doc, 'over', 'webrtc-direct, both ways')

    const connections = await page.evaluate(() => window.docpeerTest.connections())
    expect(connections.map(c => c.transport)).to.deep.equal(['webrtc-direct'])
  })
})
