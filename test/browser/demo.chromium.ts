/**
 * The demo (`npm run demo`) in real Chromium: two browsers and the server edit one todo list, the
 * browsers reach each other over WebRTC, and a screenshot of it is kept in test-artifacts/.
 */
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { expect } from 'aegir/chai'
import { chromium } from 'playwright-core'
import { CHROMIUM, CHROMIUM_ARGS, NETNS_HOST, PageLogs } from './fixtures/harness.ts'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import type { Browser, Page } from 'playwright-core'

/**
 * What examples/browser/main.ts exposes as `window.demo`
 */
interface DemoStatus {
  peerId?: string
  syncState: 'starting' | 'syncing' | 'synced' | 'offline'
  firstSyncMs?: number
  todos: string[]
}

declare global {
  interface Window {
    demo: DemoStatus
  }
}

const root = fileURLToPath(new URL('../..', import.meta.url))
// the demo's default libp2p ports (fixed, so open tabs find a restarted server); free inside the
// test's network namespace
const p2pPort = 4111
const ARTIFACTS = join(root, 'test-artifacts')

interface RunningDemo {
  child: ChildProcessWithoutNullStreams
  url: string
  output: string[]
}

/**
 * Starts `scripts/demo/index.ts` like `npm run demo` does and waits for the URL it prints.
 */
async function startDemo (dataDir: string): Promise<RunningDemo> {
  const child = spawn(process.execPath, [join(root, 'scripts/demo/index.ts'), '--port', '0', '--p2p-host', NETNS_HOST, '--p2p-port', String(p2pPort), '--data-dir', dataDir], { cwd: root })
  const output: string[] = []
  child.stderr.on('data', (buf: Buffer) => { output.push(buf.toString()) })

  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', line => {
      output.push(line)
      const match = line.match(/demo at (http:\/\/\S+?)\/? /)

      if (match != null) {
        resolve(match[1])
      }
    })
    child.on('exit', code => { reject(new Error(`demo exited with ${code}: ${output.join('\n')}`)) })
  })

  return { child, url, output }
}

async function todos (page: Page): Promise<string[]> {
  return page.evaluate(() => window.demo.todos)
}

describe('demo page in Chromium', function () {
  this.timeout(120_000)

  let browser: Browser
  let demo: RunningDemo
  let dataDir: string
  const logs = new PageLogs()

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'docpeer-demo-test-'))
    demo = await startDemo(dataDir)
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true })
  })

  after(async () => {
    await browser?.close()

    if (demo != null && demo.child.exitCode == null) {
      const exited = new Promise(resolve => demo.child.once('exit', resolve))
      demo.child.kill('SIGINT')
      await exited
    }

    await rm(dataDir, { recursive: true, force: true })
  })

  afterEach(async function () {
    await logs.endTest(this.currentTest)
  })

  it('two browsers and the server edit one list; the browsers connect over WebRTC', async () => {
    // two contexts: two browsers with their own storage, so they can only meet over the network
    const pages: Page[] = []

    for (let i = 0; i < 2; i++) {
      const context = await browser.newContext({ viewport: { width: 1120, height: 760 } })
      const page = await context.newPage()
      await logs.watch(page)
      await page.goto(demo.url)
      pages.push(page)
    }

    const [a, b] = pages

    for (const page of pages) {
      await page.waitForFunction(() => window.demo.syncState === 'synced')
      expect(await todos(page)).to.include('Open this page in a second tab')
    }

    await a.fill('#new-todo', 'Buy oat milk')
    await a.press('#new-todo', 'Enter')
    await b.fill('#new-todo', 'Water the plants')
    await b.press('#new-todo', 'Enter')

    // the server adds one from its terminal
    demo.child.stdin.write('Book the venue\n')

    for (const page of pages) {
      await page.waitForFunction(() => ['Buy oat milk', 'Water the plants', 'Book the venue'].every(t => window.demo.todos.includes(t)))
    }

    await b.click('li.todo:has-text("Buy oat milk") input[type="checkbox"]')
    await a.waitForSelector('li.todo.done:has-text("Buy oat milk")')

    // the browsers found each other through the server and connected directly
    const peerA = await a.evaluate(() => window.demo.peerId as string)
    await b.waitForSelector(`#connections li[data-peer="${peerA}"] .badge[data-transport="webrtc"]`)
    await b.waitForFunction(() => window.demo.syncState === 'synced')

    await mkdir(ARTIFACTS, { recursive: true })
    await b.screenshot({ path: join(ARTIFACTS, 'demo-two-peers.png'), fullPage: true })

    const firstSync = await Promise.all(pages.map(async page => page.evaluate(() => window.demo.firstSyncMs)))
    // eslint-disable-next-line no-console
    console.info(`      first sync with the server: ${firstSync.join(' ms, ')} ms after page load`)
    await Promise.all(pages.map(async page => page.context().close()))
  })

  it('fits a 390 px phone: logo not squashed, no sideways scroll, delete button without hover, long todos cut', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true })
    const page = await context.newPage()
    await logs.watch(page)
    await page.goto(demo.url)
    await page.waitForFunction(() => window.demo.syncState === 'synced')

    await page.fill('#new-todo', 'x'.repeat(10_000))
    await page.press('#new-todo', 'Enter')
    await page.waitForFunction(() => window.demo.todos.some(text => text.startsWith('xxx')))

    const layout = await page.evaluate(() => {
      const logo = document.querySelector('.logo')?.getBoundingClientRect()
      const rows = [...document.querySelectorAll('li.todo')]
      const long = rows.find(row => row.textContent?.includes('xxx'))
      const remove = document.querySelector('li.todo .delete')
      const style = remove == null ? undefined : getComputedStyle(remove)
      return {
        logo: { width: logo?.width, height: logo?.height },
        scrollWidth: document.documentElement.scrollWidth,
        longText: window.demo.todos.find(text => text.startsWith('xxx'))?.length,
        longRowHeight: long?.getBoundingClientRect().height,
        deleteVisible: style != null && style.visibility === 'visible' && Number(style.opacity) > 0.3 && style.display !== 'none'
      }
    })

    await mkdir(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: join(ARTIFACTS, 'demo-390px.png'), fullPage: true })

    expect(layout.logo).to.deep.equal({ width: 34, height: 34 })
    expect(layout.scrollWidth).to.be.at.most(390)
    expect(layout.longText).to.be.at.most(280)
    expect(layout.longRowHeight).to.be.below(400)
    expect(layout.deleteVisible, 'the delete button shows without hover').to.equal(true)

    // a tap deletes it
    await page.tap('li.todo:has-text("xxx") .delete')
    await page.waitForFunction(() => !window.demo.todos.some(text => text.startsWith('xxx')))
    await context.close()
  })

  it('tells the truth while the server is down and reconnects a tab left open when it restarts', async () => {
    const context = await browser.newContext({ viewport: { width: 1120, height: 760 } })
    const page = await context.newPage()
    await logs.watch(page)
    await page.goto(demo.url)
    await page.waitForFunction(() => window.demo.syncState === 'synced')

    const exited = new Promise(resolve => demo.child.once('exit', resolve))
    demo.child.kill('SIGINT')
    await exited

    // alone in its browser: nothing else syncs with it
    await page.waitForFunction(() => window.demo.syncState === 'offline')
    const label = await page.textContent('#sync-state')
    expect(label).to.include('changes kept in this tab').and.to.not.include('tabs still sync')
    await page.fill('#new-todo', 'Added while the server was down')
    await page.press('#new-todo', 'Enter')

    // same data directory, same ports: the tab redials the address it had
    demo = await startDemo(dataDir)
    await page.waitForFunction(() => window.demo.syncState === 'synced', undefined, { timeout: 60_000 })
    demo.child.stdin.write('Back again\n')
    await page.waitForFunction(() => window.demo.todos.includes('Back again'))
    await context.close()
  })
})
