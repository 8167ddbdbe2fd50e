/**
 * A document whose stored chunks are damaged: `find()` and `docpeer doc show` say which document
 * cannot be read, and nothing rewrites or deletes its files.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'aegir/chai'
import { loopbackPeer } from '../harness/peers.ts'
import { DocumentUnreadableError } from '../src/index.ts'
import { runCli } from './fixtures/cli.ts'

/** every chunk file of the data directory's automerge storage, with what it holds */
async function chunks (dataDir: string): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>()
  const root = join(dataDir, 'automerge')

  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name !== 'orage-adapter-id') {
      const path = join(entry.parentPath, entry.name)
      found.set(path, await readFile(path))
    }
  }

  return found
}

/** overwrites every chunk file with random bytes of the same length; returns what it wrote */
async function damage (dataDir: string): Promise<Map<string, Buffer>> {
  const written = new Map<string, Buffer>()

  for (const [path, bytes] of await chunks(dataDir)) {
    const noise = randomBytes(bytes.length)
    await writeFile(path, noise)
    written.set(path, noise)
  }

  expect(written.size, 'chunk files to damage').to.be.greaterThan(0)
  return written
}

describe('a document whose stored data is damaged', () => {
  const dirs: string[] = []

  async function tempDir (): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'docpeer-unreadable-'))
    dirs.push(dir)
    return dir
  }

  afterEach(async () => {
    await Promise.all(dirs.splice(0).map(async dir => rm(dir, { recursive: true, force: true })))
  })

  it('find() rejects with DocumentUnreadableError naming it, and its files are left as they are', async () => {
    const dataDir = await tempDir()
    let peer = await loopbackPeer({ dataDir, repo: {} })
    const handle = peer.repo!.create<{ n: number }>({ n: 1 })
    handle.change(doc => { doc.n = 2 })
    await peer.stop()
    const damaged = await damage(dataDir)

    peer = await loopbackPeer({ dataDir, repo: {} })

    try {
      const err = await peer.repo!.find(handle.url, { signal: AbortSignal.timeout(10_000) }).then(() => undefined, (err: Error) => err)
      expect(err).to.be.an.instanceOf(DocumentUnreadableError)
      expect(err?.message).to.include(handle.url).and.to.match(/cannot be read \(.*parse.*\); its stored data is left as it is/)
    } finally {
      await peer.stop()
    }

    expect(await chunks(dataDir)).to.deep.equal(damaged)
  })

  it('docpeer doc show exits 1 naming the document, and leaves its files', async () => {
    const dataDir = await tempDir()
    const created = await runCli(['doc', 'create', 'a=1', '--data-dir', dataDir])
    expect(created.code, created.stderr).to.equal(0)
    const url = created.stdout.trim()
    const damaged = await damage(dataDir)

    const shown = await runCli(['doc', 'show', url, '--data-dir', dataDir])
    expect(shown.code).to.equal(1)
    expect(shown.stderr).to.include(`Document ${url} is in storage but cannot be read`)
    expect(await chunks(dataDir)).to.deep.equal(damaged)
  })
})
