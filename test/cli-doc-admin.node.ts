/**
 * `docpeer doc ls|rm|heads|export|import`: managing documents from the command line (issue 14,
 * part 2), on data directories and through a daemon.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as A from '@automerge/automerge'
import { expect } from 'aegir/chai'
import { runCli, startCli } from './fixtures/cli.ts'
import type { RunningDaemon } from './fixtures/cli.ts'

const TCP_ADDR = /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//

describe('docpeer doc ls, rm, heads, export, import', () => {
  const dirs: string[] = []
  const running: RunningDaemon[] = []

  async function tempDir (): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'docpeer-cli-doc-admin-'))
    dirs.push(dir)
    return dir
  }

  async function ok (...args: string[]): Promise<string> {
    const result = await runCli(args)
    expect(result.code, `${args.join(' ')}: ${result.stderr}`).to.equal(0)
    return result.stdout.trim()
  }

  afterEach(async () => {
    await Promise.all(running.splice(0).map(async child => child.stop('SIGKILL')))
    await Promise.all(dirs.splice(0).map(async dir => rm(dir, { recursive: true, force: true })))
  })

  it('lists the documents of a data directory and removes one', async () => {
    const dir = await tempDir()
    expect(await ok('doc', 'ls', '--data-dir', dir)).to.equal('')
    const first = await ok('doc', 'create', '--data-dir', dir, 'n=1')
    const second = await ok('doc', 'create', '--data-dir', dir, 'n=2')

    expect((await ok('doc', 'ls', '--data-dir', dir)).split('\n').sort()).to.deep.equal([first, second].sort())

    expect(await ok('doc', 'rm', first, '--data-dir', dir)).to.include(first)
    expect((await ok('doc', 'ls', '--data-dir', dir)).split('\n')).to.deep.equal([second])
    const gone = await runCli(['doc', 'show', first, '--data-dir', dir])
    expect(gone.code).to.equal(1)
    expect(gone.stderr).to.include('unavailable')

    const missing = await runCli(['doc', 'rm', first, '--data-dir', dir])
    expect(missing.code).to.equal(1)
    expect((await runCli(['doc', 'ls', '--peer', '/ip4/127.0.0.1/tcp/1'])).code).to.equal(2)
  })

  it('prints heads and the number of changes, which grow with each change', async () => {
    const dir = await tempDir()
    const url = await ok('doc', 'create', '--data-dir', dir, 'n=1')
    const before = JSON.parse(await ok('doc', 'heads', url, '--data-dir', dir))
    expect(before).to.include({ url, changes: 2 })
    expect(before.heads).to.have.lengthOf(1)
    expect(Number.isNaN(Date.parse(before.lastChange)), before.lastChange).to.equal(false)

    await ok('doc', 'change', url, 'n=2', '--data-dir', dir)
    const after = JSON.parse(await ok('doc', 'heads', url, '--data-dir', dir))
    expect(after.changes).to.equal(3)
    expect(after.heads).to.not.deep.equal(before.heads)
  })

  it('exports a document as automerge\'s binary and imports it elsewhere, new or into the same URL', async () => {
    const source = await tempDir()
    const url = await ok('doc', 'create', '--data-dir', source, '--content', '{"todos":[{"title":"milk"}]}')
    const file = join(source, 'doc.automerge')
    await ok('doc', 'export', url, file, '--data-dir', source)

    // any automerge program reads it
    expect(A.toJS(A.load(await readFile(file)))).to.deep.equal({ todos: [{ title: 'milk' }] })

    const target = await tempDir()
    const copy = await ok('doc', 'import', file, '--data-dir', target)
    expect(copy).to.match(/^automerge:/).and.not.equal(url)
    expect(JSON.parse(await ok('doc', 'show', copy, '--data-dir', target))).to.deep.equal({ todos: [{ title: 'milk' }] })

    // into the same URL: a change made since is merged, not replaced
    expect(await ok('doc', 'import', file, '--url', url, '--data-dir', target)).to.equal(url)
    await ok('doc', 'change', url, 'todos.0.done=true', '--data-dir', target)
    await ok('doc', 'import', file, '--url', url, '--data-dir', target)
    expect(JSON.parse(await ok('doc', 'show', url, '--data-dir', target))).to.deep.equal({ todos: [{ title: 'milk', done: true }] })

    const garbage = join(source, 'garbage')
    await writeFile(garbage, 'not automerge')
    const refused = await runCli(['doc', 'import', garbage, '--data-dir', target])
    expect(refused.code).to.equal(1)
    expect(refused.stderr).to.include('not a saved automerge document')
  })

  it('exports from and imports into a running daemon with --peer', async () => {
    const daemon = startCli(['daemon', '--data-dir', await tempDir(), '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns'])
    running.push(daemon)
    const addr = await daemon.waitFor(TCP_ADDR)
    const dir = await tempDir()
    const local = await ok('doc', 'create', '--data-dir', dir, 'from=file')
    const file = join(dir, 'doc.automerge')
    await ok('doc', 'export', local, file, '--data-dir', dir)

    const imported = await ok('doc', 'import', file, '--peer', addr)
    expect(JSON.parse(await ok('doc', 'show', imported, '--peer', addr))).to.deep.equal({ from: 'file' })
    const heads = JSON.parse(await ok('doc', 'heads', imported, '--peer', addr))
    expect(heads.url).to.equal(imported)
  })
})
