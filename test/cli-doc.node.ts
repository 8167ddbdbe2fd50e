/**
 * `docpeer doc ...` against real daemons spawned from the CLI.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'aegir/chai'
import { runCli, startCli } from './fixtures/cli.ts'
import type { RunningDaemon } from './fixtures/cli.ts'

const LOOPBACK_LISTEN = ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns']
const TCP_ADDR = /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//

describe('docpeer doc', () => {
  const dirs: string[] = []
  const running: RunningDaemon[] = []

  async function tempDir (): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'docpeer-cli-doc-'))
    dirs.push(dir)
    return dir
  }

  async function daemon (...extra: string[]): Promise<string> {
    const child = startCli(['daemon', '--data-dir', await tempDir(), ...LOOPBACK_LISTEN, ...extra])
    running.push(child)
    return child.waitFor(TCP_ADDR)
  }

  afterEach(async () => {
    await Promise.all(running.splice(0).map(async child => child.stop('SIGKILL')))
    await Promise.all(dirs.splice(0).map(async dir => rm(dir, { recursive: true, force: true })))
  })

  it('creates a document on one daemon and shows it through another that dials it', async () => {
    const first = await daemon()
    const created = await runCli(['doc', 'create', '--peer', first, 'title=shopping', 'items=["milk"]'])
    expect(created.code, created.stderr).to.equal(0)
    const url = created.stdout.trim()
    expect(url).to.match(/^automerge:/)

    // a second daemon that knows only the first, asked through its own address once it has
    // connected to the first (a peer asked for a document before then answers "unavailable")
    const secondDaemon = startCli(['daemon', '--data-dir', await tempDir(), ...LOOPBACK_LISTEN, '--bootstrap', first])
    running.push(secondDaemon)
    const second = await secondDaemon.waitFor(TCP_ADDR)
    await secondDaemon.waitFor(new RegExp(`^connected ${first.split('/p2p/')[1]}`))
    const shown = await runCli(['doc', 'show', url, '--peer', second])
    expect(shown.code, shown.stderr).to.equal(0)
    expect(JSON.parse(shown.stdout)).to.deep.equal({ title: 'shopping', items: ['milk'] })
  })

  it('changes a document kept by a daemon, with path=value and JSON Patch', async () => {
    const addr = await daemon()
    const url = (await runCli(['doc', 'create', '--peer', addr, '--content', '{"todos":[]}'])).stdout.trim()

    const changed = await runCli(['doc', 'change', url, '--peer', addr, '{"op":"add","path":"/todos/-","value":{"title":"milk","done":false}}', 'owner=ann'])
    expect(changed.code, changed.stderr).to.equal(0)

    const toggled = await runCli(['doc', 'change', url, '--peer', addr, 'todos.0.done=true'])
    expect(toggled.code, toggled.stderr).to.equal(0)

    // a fresh short-lived peer sees what the daemon kept
    const shown = await runCli(['doc', 'show', url, '--peer', addr])
    expect(JSON.parse(shown.stdout)).to.deep.equal({ todos: [{ title: 'milk', done: true }], owner: 'ann' })
  })

  it('watches a document, printing each new version, until SIGINT', async () => {
    const addr = await daemon()
    const url = (await runCli(['doc', 'create', '--peer', addr, 'n=0'])).stdout.trim()

    const watcher = startCli(['doc', 'watch', url, '--peer', addr])
    running.push(watcher)
    await watcher.waitFor(/"n":0/)

    expect((await runCli(['doc', 'change', url, '--peer', addr, 'n=1'])).code).to.equal(0)
    await watcher.waitFor(/"n":1/)

    expect(await watcher.stop('SIGINT')).to.equal(0)
  })

  it('works on a local data directory without a daemon', async () => {
    const dir = await tempDir()
    const created = await runCli(['doc', 'create', '--data-dir', dir, 'note=local'])
    expect(created.code, created.stderr).to.equal(0)
    const url = created.stdout.trim()

    const shown = await runCli(['doc', 'show', url, '--data-dir', dir])
    expect(JSON.parse(shown.stdout)).to.deep.equal({ note: 'local' })

    // a daemon started on that directory serves it
    const child = startCli(['daemon', '--data-dir', dir, ...LOOPBACK_LISTEN])
    running.push(child)
    const addr = await child.waitFor(TCP_ADDR)
    const remote = await runCli(['doc', 'show', url, '--peer', addr])
    expect(JSON.parse(remote.stdout)).to.deep.equal({ note: 'local' })
  })

  it('exits 2 on a malformed URL or change, and 1 for a document nobody has', async () => {
    const dir = await tempDir()
    const badUrl = await runCli(['doc', 'show', 'http://example.com', '--data-dir', dir])
    expect(badUrl.code).to.equal(2)
    expect(badUrl.stderr).to.include('not an automerge URL')

    const url = (await runCli(['doc', 'create', '--data-dir', dir])).stdout.trim()
    const badChange = await runCli(['doc', 'change', url, 'no-equals-sign', '--data-dir', dir])
    expect(badChange.code).to.equal(2)

    const badPatch = await runCli(['doc', 'change', url, '{"op":"frobnicate","path":"/a"}', '--data-dir', dir])
    expect(badPatch.code).to.equal(2)
    expect(badPatch.stderr).to.include('unsupported JSON Patch operation')

    const addr = await daemon()
    const missing = await runCli(['doc', 'show', 'automerge:4NMNnkMhL8jXrdJ9jamS58PAVdXu', '--peer', addr, '--timeout', '5'])
    expect(missing.code).to.equal(1)
    expect(missing.stderr).to.include('unavailable')
  })
})
