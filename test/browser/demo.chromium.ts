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
import { CHROMIUM, CHROMIUM_ARGS, NETNS_HOST } from './fixtures/harness.ts'
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
  const child = spawn(process.execPath, [join(root, 'scripts/demo/index.ts'), '--port', '0', '--p2p-host', NETNS_HOST, '--data-dir', dataDir], { cwd: root })
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
  this.timeout(90_000)

  let browser: Browser
  let demo: RunningDemo
  let dataDir: string

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

  it('two browsers and the server edit one list; the browsers connect over WebRTC', async () => {
    // two contexts: two browsers with their own storage, so they can only meet over the network
    const pages: Page[] = []

    for (let i = 0; i < 2; i++) {
      const context = await browser.newContext({ viewport: { width: 1120, height: 760 } })
      const page = await context.newPage()
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
  })
})
