/**
 * What makes `docpeer daemon` start fast (BENCHMARKS.md, w7): bin/docpeer.js loads the CLI bundled
 * by `npm run build` (scripts/build-cli-bundle.ts) instead of its ~750 modules, but never a bundle
 * older than the compiled files it was made from; and the bundle does not make Node load undici
 * (node:http imported as an ES module does). Needs `npm run build`, like the other CLI tests.
 */
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { expect } from 'aegir/chai'
import { cliEntries, cliEntry } from '../src/cli/entry.ts'
import { startCli } from './fixtures/cli.ts'
import type { CliEntries } from '../src/cli/entry.ts'

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
    // packages kept out of the bundle (automerge, the LevelDB binding, node-datachannel: the daemon's
    // WebRTC transport, 17 files since issue 12) and their dependencies, and the bundle's chunks
    // (124 files after issues 13-15 added the control socket, access lists and kad-dht's client)
    expect(files.length, files.join('\n')).to.be.lessThan(140)
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

    async function bundleMadeFrom (inputs: string[], seconds: number): Promise<CliEntries> {
      const entries = cliEntries(root)
      await writeAt(entries.bundle, seconds)
      await writeFile(entries.inputs, JSON.stringify(inputs))
      return entries
    }

    it('the bundle when none of the compiled files it was made from changed after it', async () => {
      await mkdir(join(dir, 'dist/src/cli'), { recursive: true })
      await writeAt(new URL('dist/src/cli/index.js', root), 1_000)
      const entries = await bundleMadeFrom(['dist/src/cli/index.js'], 2_000)

      expect(cliEntry(entries).href).to.equal(entries.bundle.href)
    })

    it('the modules when tsc rewrote a file after the bundle was made, or there is no bundle', async () => {
      await mkdir(join(dir, 'dist/src/cli'), { recursive: true })
      await writeAt(new URL('dist/src/cli/index.js', root), 1_000)
      await writeAt(new URL('dist/src/cli/io.js', root), 3_000)
      const entries = await bundleMadeFrom(['dist/src/cli/index.js', 'dist/src/cli/io.js'], 2_000)
      expect(cliEntry(entries).href).to.equal(entries.modules.href)

      await rm(fileURLToPath(entries.bundle))
      expect(cliEntry(entries).href).to.equal(entries.modules.href)
    })

    it('the modules when the bundle has no list of its inputs', async () => {
      const entries = cliEntries(root)
      await writeAt(entries.bundle, 2_000)

      expect(cliEntry(entries).href).to.equal(entries.modules.href)
    })

    it('the bundle in a published package, whose files all have the same time', async () => {
      await mkdir(join(dir, 'dist/src/cli'), { recursive: true })
      await writeAt(new URL('dist/src/cli/index.js', root), 2_000)
      const entries = await bundleMadeFrom(['dist/src/cli/index.js'], 2_000)

      expect(cliEntry(entries).href).to.equal(entries.bundle.href)
    })
  })
})
