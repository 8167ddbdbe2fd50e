/**
 * `npm start`, the README's way to run a daemon, stops like the daemon itself: Ctrl-C (SIGINT to
 * the terminal's process group) and SIGTERM to npm (a process manager stopping it) end in a clean
 * stop and exit 0, and no daemon is left behind. npm runs a script under `sh -c`; without `exec`
 * in the script, that shell died of the Ctrl-C (npm exited 130) and a SIGTERM reached npm only
 * (npm exited 143 and the daemon went on running, holding its ports and data directory).
 */
import { spawn } from 'node:child_process'
import { access, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'aegir/chai'
import { watchCli } from './fixtures/cli.ts'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** npm as `npm test` runs it (its own CLI script when it is the parent), else the one on PATH */
function npm (args: string[]): ChildProcessWithoutNullStreams {
  const cli = process.env.npm_execpath
  const [command, argv] = cli != null && cli.endsWith('.js') ? [process.execPath, [cli, ...args]] : ['npm', args]
  // its own process group, as a terminal's foreground job: a signal to the group reaches all
  return spawn(command, argv, { cwd: ROOT, detached: true })
}

async function exists (path: string): Promise<boolean> {
  return access(path).then(() => true, () => false)
}

describe('npm start', function () {
  this.timeout(60_000)
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'docpeer-npm-start-'))
  })

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  /** starts `npm start` on a loopback port, waits for its first multiaddr, stops it with `stop` */
  async function startAndStop (stop: (npmPid: number) => void): Promise<void> {
    const dataDir = join(dir, 'data')
    const npmStart = watchCli(npm(['start', '--', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--data-dir', dataDir]))
    const child = npmStart.child
    // 'exit', not 'close': a daemon left behind would keep the pipes open
    const exited = new Promise<number | null>(resolve => child.on('exit', code => { resolve(code) }))

    try {
      await npmStart.waitFor(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//, 40_000)
      const socket = join(dataDir, 'control', 'docpeer.sock')
      expect(await exists(socket), 'the running daemon\'s control socket').to.be.true()

      stop(child.pid!)

      expect(await exited, npmStart.output()).to.equal(0)
      // a clean stop removes the socket; a daemon still running would hold it
      expect(await exists(socket), 'the control socket after npm exited').to.be.false()
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {
        // every process of the group is gone already
      }
    }
  }

  it('stops the daemon cleanly and exits 0 on Ctrl-C (SIGINT to the process group)', async () => {
    await startAndStop(pid => { process.kill(-pid, 'SIGINT') })
  })

  it('stops the daemon cleanly and exits 0 on SIGTERM to npm', async () => {
    await startAndStop(pid => { process.kill(pid, 'SIGTERM') })
  })
})
