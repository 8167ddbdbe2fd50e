/**
 * helia in a browser docpeer (real Chromium): blocks exchanged over bitswap with a Node server-role
 * peer across WebSockets, and kept in IndexedDB across a restart of the peer.
 *
 * Runs inside scripts/netns-run.sh (npm run test:browser).
 */
import { fileURLToPath } from 'node:url'
import { expect } from 'aegir/chai'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { createPeer } from '../../src/index.ts'
import { NETNS_HOST, startHarness } from './fixtures/harness.ts'
import type { BrowserHarness } from './fixtures/harness.ts'
import type { HeliaPageApi } from './fixtures/helia-page.ts'
import type { Docpeer } from '../../src/index.ts'
import type { Page } from 'playwright-core'

const PAGE_ENTRY = fileURLToPath(new URL('./fixtures/helia-page.ts', import.meta.url))

type Api = HeliaPageApi

async function call<K extends keyof Api> (page: Page, method: K, ...args: Parameters<Api[K]>): Promise<Awaited<ReturnType<Api[K]>>> {
  return page.evaluate(async ([method, args]) => {
    const api = (window as any).docpeerTest
    return api[method](...args)
  }, [method, args] as const) as any
}

describe('helia in a browser peer (Chromium)', function () {
  this.timeout(60_000)

  let harness: BrowserHarness
  let server: Docpeer | undefined

  before(async () => {
    harness = await startHarness(PAGE_ENTRY)
  })

  after(async () => {
    await harness?.stop()
  })

  afterEach(async function () {
    await harness.logs.endTest(this.currentTest)

    for (const context of harness.browser.contexts()) {
      await context.close()
    }

    await server?.stop()
    server = undefined
  })

  it('exchanges blocks with a Node server over WebSockets', async () => {
    server = await createPeer({ role: 'server', host: NETNS_HOST, mdns: false, iceServers: [], helia: true, repo: false })
    const ws = server.libp2p.getMultiaddrs().map(ma => ma.toString()).find(ma => ma.includes('/ws/'))
    expect(ws, 'server WebSocket address').to.exist()

    const text = `from the server ${Math.random()}`
    const bytes = new TextEncoder().encode(text)
    const cid = CID.createV1(raw.code, await sha256.digest(bytes))
    await server.helia!.blockstore.put(cid, bytes)

    const page = await harness.openPage()
    await call(page, 'start')
    expect(await call(page, 'dial', ws!)).to.include('/ws')
    expect(await call(page, 'get', cid.toString())).to.equal(text)

    const fromBrowser = `from the browser ${Math.random()}`
    const browserCid = CID.parse(await call(page, 'put', fromBrowser))
    const chunks: Uint8Array[] = []

    for await (const chunk of server.helia!.blockstore.get(browserCid, { signal: AbortSignal.timeout(10_000) })) {
      chunks.push(chunk)
    }

    expect(new TextDecoder().decode(Buffer.concat(chunks))).to.equal(fromBrowser)
    await call(page, 'stop')
  })

  it('keeps blocks in IndexedDB across a restart of the peer', async () => {
    const page = await harness.openPage()
    const dataDir = `helia-test-${Math.random()}`
    await call(page, 'start', dataDir)
    const cid = await call(page, 'put', 'kept in IndexedDB')
    await call(page, 'stop')

    await call(page, 'start', dataDir)
    expect(await call(page, 'has', cid)).to.be.true()
    expect(await call(page, 'get', cid, 1000)).to.equal('kept in IndexedDB')
    await call(page, 'stop')

    // and a peer on another data dir does not have it
    await call(page, 'start', `${dataDir}-other`)
    expect(await call(page, 'has', cid)).to.be.false()
    await call(page, 'stop')
  })
})
