/**
 * `npm test`'s first step, scripts/test-env/: run as a process, the way npm runs it, on machines
 * made to lack Chromium or root through its environment (PATH, DOCPEER_CHROMIUM, the user id).
 */
import { spawn } from 'node:child_process'
import { chmod, mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'aegir/chai'
import { findOnPath } from '../harness/machine.ts'

const CHECK = fileURLToPath(new URL('../scripts/test-env/index.ts', import.meta.url))

interface Result { code: number | null, stdout: string, stderr: string }

async function check (env: NodeJS.ProcessEnv, asUser?: number): Promise<Result> {
  const command = asUser == null
    ? [process.execPath, CHECK]
    // still able to read the checkout (a clone in a 0700 directory, as mktemp -d makes): the user
    // id is what the check looks at
    : [findOnPath('setpriv') ?? 'setpriv', `--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups', '--inh-caps=+dac_override,+dac_read_search', '--ambient-caps=+dac_override,+dac_read_search', process.execPath, CHECK]
  const child = spawn(command[0], command.slice(1), { env })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))

  return { code, stdout, stderr }
}

describe('npm test machine check (scripts/test-env)', () => {
  let bin: string

  beforeEach(async () => {
    // a PATH with the namespace tools, openssl and the NAT lab's programs, and no chromium
    bin = await mkdtemp(join(tmpdir(), 'docpeer-test-env-'))
    // readable by the unprivileged user of the no-root case
    await chmod(bin, 0o755)

    for (const tool of ['unshare', 'ip', 'openssl', 'iptables-restore', 'turnserver']) {
      const found = findOnPath(tool)
      expect(found, `${tool} on PATH`).to.be.a('string')
      await symlink(found ?? '', join(bin, tool))
    }
  })

  afterEach(async () => {
    await rm(bin, { recursive: true, force: true })
  })

  it('passes on this machine and says what it found', async () => {
    const result = await check(process.env)

    expect(result.code, result.stderr).to.equal(0)
    expect(result.stdout).to.match(/^test-env: ok \(root uid 0, unshare \S+, ip \S+, openssl \S+, iptables-restore \S+, turnserver \S+, chromium \S+\)$/m)
  })

  it('stops with one line when DOCPEER_CHROMIUM names no Chromium, without installing anything', async () => {
    const result = await check({ PATH: bin, DOCPEER_CHROMIUM: join(bin, 'no-chromium') })

    expect(result.code).to.equal(1)
    expect(result.stdout).to.equal('')
    expect(result.stderr.trim().split('\n')).to.have.lengthOf(1)
    expect(result.stderr).to.include('chromium for the browser tests').and.include('DOCPEER_CHROMIUM=/path/to/chromium')
  })

  it('stops with one line naming root and Chromium for a user without either', async () => {
    const result = await check({ PATH: bin }, 65534)

    expect(result.code).to.equal(1)
    expect(result.stdout).to.equal('')
    const lines = result.stderr.trim().split('\n')
    expect(lines, result.stderr).to.have.lengthOf(1)
    expect(lines[0]).to.match(/^npm test needs: root for the network namespaces .*; chromium for the browser tests \(apt-get install chromium, or set DOCPEER_CHROMIUM=/)
  })

  it('takes a Chromium that DOCPEER_CHROMIUM points at, on no PATH', async () => {
    const chromium = findOnPath('chromium')
    expect(chromium, 'chromium on PATH').to.be.a('string')

    const result = await check({ PATH: bin, DOCPEER_CHROMIUM: chromium })

    expect(result.code, result.stderr).to.equal(0)
    expect(result.stdout).to.include(`chromium ${chromium}`)
  })
})
