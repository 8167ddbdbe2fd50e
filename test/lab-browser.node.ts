/**
 * A browser behind one NAT and a daemon behind another (the NAT lab; needs root and Debian's
 * Chromium): Chromium runs in the home namespace (its executable is wrapped in `ip netns exec`), its
 * page is served by Playwright's request interception (nothing listens for it), and it reaches the
 * lab server over WebSocket. The daemon dials the page's `/p2p-circuit/webrtc` address and a document
 * syncs over the direct WebRTC connection; the server keeps no documents.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'aegir/chai'
import { chromium } from 'playwright-core'
import { startLabPeer, withNatLab } from '../harness/lab/scenarios.ts'
import { bundleBrowser } from '../scripts/demo/bundle.ts'
import { CHROMIUM, CHROMIUM_ARGS, PageLogs } from './browser/fixtures/harness.ts'
import type { ConnectionInfo } from './browser/fixtures/page.ts'

const PAGE_ENTRY = fileURLToPath(new URL('./browser/fixtures/page.ts', import.meta.url))
// a secure context (WebCrypto, IndexedDB); requests to it never leave Playwright
const ORIGIN = 'http://127.0.0.1:9'

describe('NAT lab: browser behind NAT to daemon behind NAT', function () {
  this.timeout(180_000)
  const logs = new PageLogs()

  afterEach(async function () {
    await logs.endTest(this.currentTest)
  })

  it('syncs a document on a direct WebRTC connection, with no server copy', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'docpeer-lab-browser-'))

    try {
      await bundleBrowser({ entry: PAGE_ENTRY, outfile: join(dir, 'page.js') })
      const pageJs = await readFile(join(dir, 'page.js'))

      await withNatLab({ prefix: `dp-nat-b${process.pid}-`, natA: 'easy', natB: 'easy' }, async (lab, coturn, server, serverAddr) => {
        const stun = [{ urls: coturn.stunUrl }]
        const wrapper = join(dir, 'chromium-in-netns')
        await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec ${lab.home('b').host} ${CHROMIUM} "$@"\n`)
        await chmod(wrapper, 0o755)

        const daemon = await startLabPeer(lab, lab.home('a').host, { bootstrap: [serverAddr], iceServers: stun, dialDiscovered: false })
        const browser = await chromium.launch({ executablePath: wrapper, args: CHROMIUM_ARGS, headless: true })

        try {
          const page = await browser.newPage()
          await logs.watch(page)
          await page.route(`${ORIGIN}/**`, async route => {
            const path = new URL(route.request().url()).pathname
            await (path === '/page.js'
              ? route.fulfill({ body: pageJs, contentType: 'text/javascript' })
              : route.fulfill({ body: '<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>', contentType: 'text/html' }))
          })
          await page.goto(`${ORIGIN}/`)
          await page.waitForFunction(() => (window as any).docpeerTest != null)

          const wsAddr = serverAddr.replace(/\/tcp\/(\d+)\//, (_, port) => `/tcp/${Number(port) + 1}/ws/`)
          await page.evaluate(async ([init]) => (window as any).docpeerTest.start(init), [{ iceServers: stun }])
          await page.evaluate(async (addr) => (window as any).docpeerTest.dial(addr), wsAddr)
          const [webrtcAddr] = await page.evaluate(async () => (window as any).docpeerTest.waitForAddress('/p2p-circuit/webrtc')) as string[]

          await daemon.request('dial', { addr: webrtcAddr, timeout: 30_000 }, 35_000)
          const { url } = await daemon.request('create', { text: 'from the daemon behind NAT' })
          const doc = await page.evaluate(async (url) => (window as any).docpeerTest.waitFor(url, 'text', 'from the daemon behind NAT'), url)
          expect(doc.text).to.equal('from the daemon behind NAT')

          const connections = await page.evaluate(() => (window as any).docpeerTest.connections()) as ConnectionInfo[]
          const toDaemon = connections.filter(c => c.remotePeer === daemon.peerId)
          expect(toDaemon.some(c => c.transport === 'webrtc' && !c.limited), JSON.stringify(toDaemon)).to.equal(true)
        } finally {
          await browser.close()
          await daemon.stop()
        }
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
