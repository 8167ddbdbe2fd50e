/**
 * `docpeer block put|get` against a `docpeer daemon --helia` in another process (bin/docpeer.js on
 * the built dist/: run `npx aegir build` first, as `npm test` does).
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'aegir/chai'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { BIN, runCli, startCli } from './fixtures/cli.ts'
import type { RunningDaemon, RunResult } from './fixtures/cli.ts'

/**
 * Runs the CLI with `input` on its standard input.
 */
async function runWithStdin (args: string[], input: Uint8Array): Promise<RunResult> {
  const child = spawn(process.execPath, [BIN, ...args])
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  child.stdin.end(input)
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  return { code, stdout, stderr }
}

describe('docpeer block', function () {
  this.timeout(90_000)

  let dir: string
  let daemon: RunningDaemon | undefined

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'docpeer-block-cli-'))
  })

  afterEach(async () => {
    await daemon?.stop()
    daemon = undefined
    await rm(dir, { recursive: true, force: true })
  })

  async function startDaemon (dataDir: string): Promise<string> {
    daemon = startCli(['daemon', '--helia', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--data-dir', dataDir])
    return daemon.waitFor(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//)
  }

  it('puts a file into a running daemon\'s data dir and gets it from the daemon with --peer', async () => {
    const dataDir = join(dir, 'daemon')
    const multiaddr = await startDaemon(dataDir)
    const text = `a block for the CLI ${Math.random()}\n`
    const file = join(dir, 'block.txt')
    await writeFile(file, text)

    // the daemon holds the data dir's LevelDB lock: put only touches the blockstore beside it
    const put = await runCli(['block', 'put', file, '--data-dir', dataDir])
    expect(put.code, put.stderr).to.equal(0)
    const expected = CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode(text)))
    expect(put.stdout.trim()).to.equal(expected.toString())

    const get = await runCli(['block', 'get', expected.toString(), '--peer', multiaddr, '--timeout', '20'])
    expect(get.code, get.stderr).to.equal(0)
    expect(get.stdout).to.equal(text)
    expect(daemon?.output()).to.match(/^connected 12D3KooW/m)

    // after the daemon stops, the block is still in its data dir
    expect(await daemon?.stop()).to.equal(0)
    const local = await runCli(['block', 'get', expected.toString(), '--data-dir', dataDir])
    expect(local.code, local.stderr).to.equal(0)
    expect(local.stdout).to.equal(text)
  })

  it('puts standard input and keeps a block fetched with --peer in --data-dir', async () => {
    const dataDir = join(dir, 'daemon')
    const text = `from stdin ${Math.random()}`
    const put = await runWithStdin(['block', 'put', '-', '--data-dir', dataDir], new TextEncoder().encode(text))
    expect(put.code, put.stderr).to.equal(0)
    const cid = put.stdout.trim()

    const multiaddr = await startDaemon(dataDir)
    const cache = join(dir, 'cache')
    const fetched = await runCli(['block', 'get', cid, '--peer', multiaddr, '--data-dir', cache])
    expect(fetched.code, fetched.stderr).to.equal(0)
    expect(fetched.stdout).to.equal(text)

    await daemon?.stop()
    const local = await runCli(['block', 'get', cid, '--data-dir', cache])
    expect(local.code, local.stderr).to.equal(0)
    expect(local.stdout).to.equal(text)
  })

  it('fails with exit 1 when the peer does not have the block', async () => {
    const multiaddr = await startDaemon(join(dir, 'daemon'))
    const missing = CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode(`missing ${Math.random()}`)))

    const get = await runCli(['block', 'get', missing.toString(), '--peer', multiaddr, '--timeout', '1'])
    expect(get.code).to.equal(1)
    expect(get.stderr).to.include('timed out after 1 s')
    expect(get.stdout).to.equal('')
  })

  it('fails with exit 1 for a block not in the data dir and a file that cannot be read', async () => {
    const missing = CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode('not here')))
    const get = await runCli(['block', 'get', missing.toString(), '--data-dir', join(dir, 'empty')])
    expect(get.code).to.equal(1)
    expect(get.stderr).to.include('pass --peer')

    const put = await runCli(['block', 'put', join(dir, 'no-such-file'), '--data-dir', join(dir, 'empty')])
    expect(put.code).to.equal(1)
    expect(put.stderr).to.include('cannot read')
  })

  it('refuses a file bigger than one block', async () => {
    const file = join(dir, 'big')
    await writeFile(file, new Uint8Array(1024 * 1024 + 1))

    const put = await runCli(['block', 'put', file, '--data-dir', join(dir, 'd')])
    expect(put.code).to.equal(1)
    expect(put.stderr).to.include('at most 1048576 bytes')
  })

  it('exits 2 on a malformed command line', async () => {
    for (const args of [
      ['block'],
      ['block', 'get', 'not-a-cid'],
      ['block', 'get', 'bafkreiguwdd4wmdwo4wcx2pqkvwebny4yqzusnqmhr7hyqx2al7nkbgpwq', '--peer', 'localhost:4101'],
      ['block', 'put', 'a', 'b'],
      ['block', 'put', 'a', '--peer', '/ip4/127.0.0.1/tcp/1'],
      ['block', 'remove', 'x']
    ]) {
      const result = await runCli(args)
      expect(result.code, args.join(' ')).to.equal(2)
      expect(result.stderr).to.include('docpeer block --help')
    }
  })
})
