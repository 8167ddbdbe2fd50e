/**
 * What makes `docpeer daemon` start fast (BENCHMARKS.md, w7): bin/docpeer.js loads the CLI bundled
 * by `npm run build` (scripts/build-cli-bundle.ts) instead of its ~750 modules, but never a bundle
 * older than tsc's build; and the bundle does not make Node load undici (node:http imported as an ES
 * module does). Needs `npm run build`, like the other CLI tests.
 */
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { expect } from 'aegir/chai'
import { cliEntries, cliEntry } from '../src/cli/entry.ts'
import { startCli } from './fixtures/cli.ts'

const PROBE = fileURLToPath(new URL('./fixtures/cli-start-probe.ts', import.meta.url))

interface StartReport {
  loaded: string[]
  undici: boolean
}

describe('docpeer daemon start', function () {
  this.timeout(60_000)
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'docpeer-cli-start-'))
  })

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('runs from the CLI bundle, without undici, up to its first multiaddr', async () => {
    const reportFile = join(dir, 'report.json')
    const daemon = startCli(['daemon', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--data-dir', join(dir, 'data')], {
      NODE_OPTIONS: `--import ${pathToFileURL(PROBE).href}`,
      DOCPEER_START_PROBE: reportFile
    })

    try {
      await daemon.waitFor(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//)
    } finally {
      await daemon.stop()
    }

    const report: StartReport = JSON.parse(await readFile(reportFile, 'utf8'))
    const files = report.loaded.filter(url => url.startsWith('file:'))

    expect(files.some(url => url.includes('/dist/src/cli-bundle/')), 'the bundle is loaded').to.be.true()
    expect(files.filter(url => url.includes('/dist/src/cli/') && !/\/(entry|node-version)\.js$/.test(url)), 'CLI modules besides the bundle').to.deep.equal([])
    // packages kept out of the bundle (automerge, the LevelDB binding) and their dependencies
    expect(files.length, files.join('\n')).to.be.lessThan(100)
    expect(report.undici, 'undici loaded').to.be.false()
  })

  describe('which build bin/docpeer.js loads', () => {
    let root: URL

    beforeEach(async () => {
      root = pathToFileURL(`${dir}/`)
      await mkdir(join(dir, 'dist/src/cli-bundle'), { recursive: true })
    })

    async function writeAt (file: URL, seconds: number): Promise<void> {
      await writeFile(file, '')
      await utimes(file, seconds, seconds)
    }

    it('the bundle when it was made after tsc last built', async () => {
      const entries = cliEntries(root)
      await writeAt(entries.buildInfo, 1_000)
      await writeAt(entries.bundle, 2_000)

      expect(cliEntry(entries).href).to.equal(entries.bundle.href)
    })

    it('the modules when tsc built after the bundle was made, or there is no bundle', async () => {
      const entries = cliEntries(root)
      await writeAt(entries.buildInfo, 1_000)
      expect(cliEntry(entries).href).to.equal(entries.modules.href)

      await writeAt(entries.bundle, 500)
      expect(cliEntry(entries).href).to.equal(entries.modules.href)
    })

    it('the bundle in a published package, which has no tsc build info', async () => {
      const entries = cliEntries(root)
      await writeAt(entries.bundle, 2_000)

      expect(cliEntry(entries).href).to.equal(entries.bundle.href)
    })
  })
})
