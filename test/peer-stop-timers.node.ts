/**
 * Defect 2 of issue 14: the README's first example died 61 s after `peer.stop()` with an unhandled
 * `TimeoutError: withTimeout` from automerge-repo handles outliving the Repo. The child process
 * (fixtures/stop-timers-child.ts) runs the example with long timers shortened thirtyfold and exits 1
 * on an unhandled rejection.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect } from 'aegir/chai'

const CHILD = fileURLToPath(new URL('./fixtures/stop-timers-child.ts', import.meta.url))

async function runChild (): Promise<{ code: number | null, output: string }> {
  const child = spawn(process.execPath, [CHILD, '20'])
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  clearTimeout(timer)
  return { code, output }
}

describe('peer.stop() and automerge-repo timers', function () {
  this.timeout(130_000)

  it('leaves no handle timeout to reject after stop when documents were still loading', async () => {
    // twice: whether a handle is still loading at stop depends on timing
    for (let run = 0; run < 2; run++) {
      const { code, output } = await runChild()
      expect(output).to.not.include('unhandled rejection')
      expect(code, output).to.equal(0)
    }
  })
})
