/**
 * The defects a new user hit in the first hour (issue 14), each reproduced through the CLI as the
 * user ran it: corrupt keys, mistyped paths, exit codes and messages, timeouts, offline local
 * commands. Numbers in the test names are the issue's.
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'aegir/chai'
import { LevelDatastore } from 'datastore-level'
import { Key } from 'interface-datastore'
import { runCli, startCli } from './fixtures/cli.ts'
import type { RunningDaemon } from './fixtures/cli.ts'
import type { Server, Socket } from 'node:net'

const LOOPBACK_LISTEN = ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns']
const TCP_ADDR = /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//
// the LevelDB write-ahead log of a fresh datastore, which holds the key record
const KEY_LOG = join('datastore', '000003.log')

describe('docpeer CLI defects of issue 14', () => {
  const dirs: string[] = []
  const running: RunningDaemon[] = []

  async function tempDir (): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'docpeer-cli-defects-'))
    dirs.push(dir)
    return dir
  }

  async function daemon (dir: string, ...extra: string[]): Promise<{ addr: string, child: RunningDaemon }> {
    const child = startCli(['daemon', '--data-dir', dir, ...LOOPBACK_LISTEN, ...extra])
    running.push(child)
    return { addr: await child.waitFor(TCP_ADDR), child }
  }

  afterEach(async () => {
    await Promise.all(running.splice(0).map(async child => child.stop('SIGKILL')))
    await Promise.all(dirs.splice(0).map(async dir => rm(dir, { recursive: true, force: true })))
  })

  describe('1: a corrupt key is never replaced', () => {
    const corruptions: Record<string, (bytes: Buffer) => Buffer> = {
      'a flipped byte in the key record': bytes => {
        const copy = Buffer.from(bytes)
        // inside the /pkcs8/self record, past the record header
        const at = copy.indexOf('/pkcs8/self') + 40
        copy[at] ^= 0xff
        return copy
      },
      'a truncated log': bytes => bytes.subarray(0, Math.floor(bytes.length / 2)),
      'random bytes over the log': bytes => randomBytes(bytes.length)
    }

    for (const [name, corrupt] of Object.entries(corruptions)) {
      it(`refuses ${name}: docpeer id and the daemon exit 1 with KeyStoreError, and the key is left alone`, async () => {
        const dir = await tempDir()
        const first = await runCli(['id', '--data-dir', dir, '--create'])
        expect(first.code, first.stderr).to.equal(0)
        const peerId = first.stdout.trim()
        const log = join(dir, KEY_LOG)
        await writeFile(log, corrupt(await readFile(log)))

        for (let attempt = 0; attempt < 2; attempt++) {
          const id = await runCli(['id', '--data-dir', dir])
          expect(id.code, id.stdout + id.stderr).to.equal(1)
          expect(id.stderr).to.include('KeyStoreError')
          expect(id.stdout).to.not.match(/12D3KooW/)
        }

        const started = await runCli(['daemon', '--data-dir', dir, ...LOOPBACK_LISTEN])
        expect(started.code, started.stdout + started.stderr).to.equal(1)
        expect(started.stderr).to.include('KeyStoreError')

        // LevelDB itself drops what it cannot read when it opens the log; no new key took its place
        expect((await readFile(join(dir, 'peer-id'), 'utf8')).trim()).to.equal(peerId)
        const datastore = new LevelDatastore(join(dir, 'datastore'))
        await datastore.open()
        const kept = await datastore.has(new Key('/pkcs8/self'))
        await datastore.close()
        expect(kept, 'a key in the datastore after the refusals').to.equal(false)
      })
    }
  })

  describe('8: exit codes and messages', () => {
    it('exits 2 for a /p2p/ part that is not a peer id', async () => {
      const result = await runCli(['dial', '/ip4/127.0.0.1/tcp/4101/p2p/notapeerid'])
      expect(result.code, result.stderr).to.equal(2)
      expect(result.stderr).to.include('notapeerid').and.to.include('not a valid peer id')
      expect(result.stderr).to.not.include('multibase')
    })

    it('exits 2 for a --host that is not an IP address', async () => {
      const result = await runCli(['daemon', '--data-dir', await tempDir(), '--host', '999.0.0.1', '--no-mdns'])
      expect(result.code, result.stderr).to.equal(2)
      expect(result.stderr).to.include('--host')
    })

    it('says which address is in use, without a stack or libp2p options, exit 1', async () => {
      const server = createServer()
      await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
      const port = (server.address() as { port: number }).port

      try {
        const result = await runCli(['daemon', '--data-dir', await tempDir(), '--no-mdns', '--listen', `/ip4/127.0.0.1/tcp/${port}`])
        expect(result.code, result.stderr).to.equal(1)
        expect(result.stderr).to.include(`/ip4/127.0.0.1/tcp/${port}`).and.to.include('in use')
        expect(result.stderr).to.not.include('faultTolerance').and.to.not.include('    at ')
      } finally {
        server.close()
      }
    })

    it('exits 2 for a listen address no transport handles', async () => {
      const result = await runCli(['daemon', '--data-dir', await tempDir(), '--no-mdns', '--listen', '/ip4/127.0.0.1/udp/0/quic-v1'])
      expect(result.code, result.stderr).to.equal(2)
      expect(result.stderr).to.include('/ip4/127.0.0.1/udp/0/quic-v1')
      expect(result.stderr).to.not.include('faultTolerance').and.to.not.include('    at ')
    })

    it('names an unknown option plainly, and reads a negative number as a value', async () => {
      const unknown = await runCli(['doc', 'show', 'automerge:4NMNnkMhL8jXrdJ9jamS58PAVdXu', '--json', '--data-dir', await tempDir()])
      expect(unknown.code).to.equal(2)
      expect(unknown.stderr).to.include('unknown option --json')
      expect(unknown.stderr).to.not.include('\'-- "--json"')

      const negative = await runCli(['dial', '/ip4/127.0.0.1/tcp/1', '--timeout', '-1'])
      expect(negative.code).to.equal(2)
      expect(negative.stderr).to.include('--timeout must be a positive number of seconds, got "-1"')
    })

    it('exits 2 for every path a document change cannot take, with a message of its own', async () => {
      const dir = await tempDir()
      const url = (await runCli(['doc', 'create', '--data-dir', dir, '--content', '{"items":[{"title":"a"}]}'])).stdout.trim()

      const outOfRange = await runCli(['doc', 'change', url, 'items.5.title=x', '--data-dir', dir])
      expect(outOfRange.code, outOfRange.stderr).to.equal(2)
      expect(outOfRange.stderr).to.include('out of range')

      const notIndex = await runCli(['doc', 'change', url, 'items.abc=x', '--data-dir', dir])
      expect(notIndex.code, notIndex.stderr).to.equal(2)

      const empty = await runCli(['doc', 'change', url, 'items..x=1', '--data-dir', dir])
      expect(empty.code, empty.stderr).to.equal(2)
      expect(empty.stderr).to.include('empty').and.to.not.include('list index must be a number')

      const shown = await runCli(['doc', 'show', url, '--data-dir', dir])
      expect(JSON.parse(shown.stdout)).to.deep.equal({ items: [{ title: 'a' }] })
    })
  })

  describe('4: documents from path=value and JSON Patch', () => {
    it('makes a list for items.0 and refuses a patch path without "/", changing nothing', async () => {
      const dir = await tempDir()
      const url = (await runCli(['doc', 'create', '--data-dir', dir, 'title=Shopping'])).stdout.trim()

      const set = await runCli(['doc', 'change', url, 'items.0.done=true', '--data-dir', dir])
      expect(set.code, set.stderr).to.equal(0)
      const appended = await runCli(['doc', 'change', url, '{"op":"add","path":"/items/-","value":{"title":"milk"}}', '--data-dir', dir])
      expect(appended.code, appended.stderr).to.equal(0)
      expect(JSON.parse(appended.stdout)).to.deep.equal({ title: 'Shopping', items: [{ done: true }, { title: 'milk' }] })

      const bad = await runCli(['doc', 'change', url, '{"op":"replace","path":"items","value":[]}', '--data-dir', dir])
      expect(bad.code, bad.stderr).to.equal(2)
      const shown = await runCli(['doc', 'show', url, '--data-dir', dir])
      expect(JSON.parse(shown.stdout)).to.deep.equal({ title: 'Shopping', items: [{ done: true }, { title: 'milk' }] })
    })
  })

  describe('9: timeouts and what a peer does not serve', () => {
    let server: Server | undefined
    const sockets: Socket[] = []

    afterEach(async () => {
      sockets.splice(0).forEach(socket => socket.destroy())
      server?.close()
      server = undefined
    })

    it('gives up on a peer that accepts TCP and never answers after --timeout, saying it timed out', async () => {
      server = createServer(socket => { sockets.push(socket) })
      await new Promise<void>(resolve => server?.listen(0, '127.0.0.1', resolve))
      const port = (server.address() as { port: number }).port

      const result = await runCli(['dial', `/ip4/127.0.0.1/tcp/${port}`, '--timeout', '12'])
      expect(result.code, result.stderr).to.equal(1)
      expect(result.stderr).to.include('timed out after 12 s')
    })

    it('says at once that a --no-serve-docs daemon does not serve documents', async () => {
      const { addr } = await daemon(await tempDir(), '--no-serve-docs')
      const result = await runCli(['doc', 'show', 'automerge:4NMNnkMhL8jXrdJ9jamS58PAVdXu', '--peer', addr, '--timeout', '60'])
      expect(result.code, result.stderr).to.equal(1)
      expect(result.stderr).to.include('does not serve documents')
    })

    it('says at once that a peer without helia has no bitswap', async () => {
      const { addr } = await daemon(await tempDir())
      const result = await runCli(['block', 'get', 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', '--peer', addr, '--timeout', '60'])
      expect(result.code, result.stderr).to.equal(1)
      expect(result.stderr).to.include('no bitswap')
    })
  })

  describe('10: the rest of the first hour', () => {
    it('refuses `id` on a data directory that does not exist, and creates nothing', async () => {
      const missing = join(await tempDir(), 'mistyped')
      const result = await runCli(['id', '--data-dir', missing])
      expect(result.code, result.stderr).to.equal(1)
      expect(result.stderr).to.include(missing).and.to.include('--create')
      expect(existsSync(missing)).to.equal(false)
    })

    it('says that doc show needs a URL', async () => {
      const result = await runCli(['doc', 'show', '--data-dir', await tempDir()])
      expect(result.code).to.equal(2)
      expect(result.stderr).to.include('doc show takes one URL').and.to.not.include('""')
    })

    it('ends doc watch --peer with exit 1 when its peer stops', async () => {
      const { addr, child } = await daemon(await tempDir())
      const url = (await runCli(['doc', 'create', '--peer', addr, 'n=0'])).stdout.trim()
      const watcher = startCli(['doc', 'watch', url, '--peer', addr])
      running.push(watcher)
      await watcher.waitFor(/"n":0/)

      expect(await child.stop('SIGINT')).to.equal(0)
      const code = watcher.child.exitCode ?? await new Promise(resolve => watcher.child.once('exit', resolve))
      expect(code, watcher.output()).to.equal(1)
      expect(watcher.output()).to.include('disconnected')
    })

    it('refuses a --bootstrap address without /p2p/', async () => {
      const result = await runCli(['daemon', '--data-dir', await tempDir(), '--no-mdns', '--bootstrap', '/ip4/127.0.0.1/tcp/4101'])
      expect(result.code).to.equal(2)
      expect(result.stderr).to.include('--bootstrap').and.to.include('/p2p/')
    })

    it('prints no TimeoutNegativeWarning from doc commands', async () => {
      const dir = await tempDir()
      const created = await runCli(['doc', 'create', '--data-dir', dir, 'a=1'])
      expect(created.code, created.stderr).to.equal(0)
      const changed = await runCli(['doc', 'change', created.stdout.trim(), 'a=2', '--data-dir', dir])
      expect(changed.code, changed.stderr).to.equal(0)

      // through a daemon, where the sync rounds come more than automerge-repo's 100 ms apart
      const { addr } = await daemon(await tempDir())
      const url = (await runCli(['doc', 'create', '--peer', addr, 'a=1'])).stdout.trim()
      const remote = await Promise.all([
        runCli(['doc', 'change', url, 'b=2', '--peer', addr]),
        runCli(['doc', 'show', url, '--peer', addr, '--data-dir', await tempDir()])
      ])
      remote.forEach(result => { expect(result.code, result.stderr).to.equal(0) })
      expect([created, changed, ...remote].map(result => result.stderr).join('')).to.not.include('TimeoutNegativeWarning')
    })

    it('prints usage on stderr and exits 2 when run with no command', async () => {
      const result = await runCli([])
      expect(result.code).to.equal(2)
      expect(result.stdout).to.equal('')
      expect(result.stderr).to.include('Usage: docpeer <command>')
    })
  })

  describe('5: local doc commands are offline', () => {
    it('does not dial the peers a data directory remembers', async () => {
      const a = await daemon(await tempDir())
      const b = await tempDir()
      // b remembers a as a bootstrap peer (kept alive in its peer store)
      const bDaemon = await daemon(b, '--bootstrap', a.addr)
      await a.child.waitFor(/^connected /)
      expect(await bDaemon.child.stop('SIGINT')).to.equal(0)
      const bId = (await runCli(['id', '--data-dir', b])).stdout.trim()
      const before = a.child.output().split('\n').filter(line => line.startsWith(`connected ${bId}`)).length

      const created = await runCli(['doc', 'create', '--data-dir', b, 'local=true'])
      expect(created.code, created.stderr).to.equal(0)
      const changed = await runCli(['doc', 'change', created.stdout.trim(), 'local=false', '--data-dir', b])
      expect(changed.code, changed.stderr).to.equal(0)

      // a dial would have shown up on a by now
      await new Promise(resolve => setTimeout(resolve, 2000))
      const after = a.child.output().split('\n').filter(line => line.startsWith(`connected ${bId}`)).length
      expect(after, 'connections from b\'s peer id to a').to.equal(before)
    })
  })
})
