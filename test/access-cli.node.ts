/**
 * `docpeer doc share|unshare|access`, `docpeer swarm-key new` and the daemon's access options,
 * against real daemons spawned from the CLI.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'aegir/chai'
import { runCli, startCli } from './fixtures/cli.ts'
import type { RunningDaemon } from './fixtures/cli.ts'

const LOOPBACK_LISTEN = ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns']
const TCP_ADDR = /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//
// a peer id that is not any running peer's
const SOMEONE = '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'

describe('access: the command line', function () {
  this.timeout(120_000)
  const dirs: string[] = []
  const running: RunningDaemon[] = []

  async function tempDir (): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'docpeer-access-cli-'))
    dirs.push(dir)
    return dir
  }

  afterEach(async () => {
    await Promise.all(running.splice(0).map(async child => child.stop('SIGKILL')))
    await Promise.all(dirs.splice(0).map(async dir => rm(dir, { recursive: true, force: true })))
  })

  it('doc share restricts a document of a running daemon at once; doc access lists it; doc unshare', async () => {
    const dataDir = await tempDir()
    const child = startCli(['daemon', '--data-dir', dataDir, ...LOOPBACK_LISTEN])
    running.push(child)
    const address = await child.waitFor(TCP_ADDR)

    const created = await runCli(['doc', 'create', '--peer', address, 'title=secret'])
    expect(created.code, created.stderr).to.equal(0)
    const url = created.stdout.trim()
    expect((await runCli(['doc', 'show', '--peer', address, url])).code).to.equal(0)

    const shared = await runCli(['doc', 'share', url, SOMEONE, '--write', '--data-dir', dataDir])
    expect(shared.code, shared.stderr).to.equal(0)
    expect(shared.stdout).to.include(`${SOMEONE} write`)
    expect(JSON.parse(await readFile(join(dataDir, 'access.json'), 'utf8')).documents).to.have.property(url.slice('automerge:'.length))

    // a fresh short-lived peer is nobody on the list: the running daemon refuses it once it has
    // read the file
    let refused = false
    for (let i = 0; i < 10 && !refused; i++) {
      refused = (await runCli(['doc', 'show', '--peer', address, url, '--timeout', '5'])).code === 1
    }
    expect(refused, 'the daemon should refuse a peer not on the list').to.equal(true)

    const listed = await runCli(['doc', 'access', url, '--data-dir', dataDir])
    expect(listed.stdout).to.include('restricted, public: none')
    const unshared = await runCli(['doc', 'unshare', url, SOMEONE, '--data-dir', dataDir])
    expect(unshared.code).to.equal(0)
    expect(unshared.stdout).to.not.include(SOMEONE)
  })

  it('refuses a malformed peer id, and a bad swarm key file', async () => {
    const dataDir = await tempDir()
    const bad = await runCli(['doc', 'share', 'automerge:2Jdh6tjxbf3C4wDmA6wJyvxvKUic', 'not-a-peer', '--data-dir', dataDir])
    expect(bad.code).to.equal(2)
    expect(bad.stderr).to.include('not a libp2p peer id')

    const daemon = await runCli(['daemon', '--data-dir', dataDir, ...LOOPBACK_LISTEN, '--swarm-key', join(dataDir, 'missing.key')])
    expect(daemon.code).to.equal(2)
    expect(daemon.stderr).to.include('--swarm-key')
  })

  it('swarm-key new writes a key file once, and a daemon runs with it', async () => {
    const dir = await tempDir()
    const file = join(dir, 'swarm.key')
    expect((await runCli(['swarm-key', 'new', file])).code).to.equal(0)
    expect(await readFile(file, 'utf8')).to.match(/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/)
    const again = await runCli(['swarm-key', 'new', file])
    expect(again.code).to.equal(2)
    expect(again.stderr).to.include('not overwriting')

    const child = startCli(['daemon', '--data-dir', dir, ...LOOPBACK_LISTEN, '--swarm-key', file])
    running.push(child)
    await child.waitFor(TCP_ADDR)
  })
})
