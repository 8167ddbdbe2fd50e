/**
 * The benchmark harness (`npm run bench`) in its smoke mode: tiny counts, one round. It measures
 * nothing worth reading; it checks that every workload runs on both of its sides and prints its
 * figures, so the benchmarks cannot rot between real runs.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'aegir/chai'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const WORKLOADS = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', 'w8']

interface BenchJson {
  results: Array<{
    id: string
    sides: Record<string, { figures: Record<string, { median: number }>, memoryMiB: Record<string, { max: number }>, errors: string[] }>
    targets: Array<{ figure: string, met?: boolean }>
  }>
}

async function runBench (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'scripts/bench/index.ts'), ...args], { cwd: ROOT })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (data: Buffer) => { stdout += data.toString() })
  child.stderr.on('data', (data: Buffer) => { stderr += data.toString() })
  const code = await new Promise<number | null>(resolve => child.on('exit', resolve))
  return { code, stdout, stderr }
}

describe('npm run bench -- --smoke', function () {
  this.timeout(360_000)

  let dir: string
  let run: { code: number | null, stdout: string, stderr: string }
  let json: BenchJson

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'docpeer-bench-smoke-'))
    const file = join(dir, 'bench.json')
    run = await runBench(['--smoke', '--json', file])
    json = JSON.parse(await readFile(file, 'utf8'))
  })

  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('exits 0', () => {
    expect(run.code, run.stderr).to.equal(0)
  })

  it('runs every workload on every side without an error', () => {
    expect(json.results.map(r => r.id)).to.deep.equal(WORKLOADS)

    for (const result of json.results) {
      const sides = Object.entries(result.sides)
      expect(sides.length, result.id).to.be.at.least(2)

      for (const [side, figures] of sides) {
        expect(figures.errors, `${result.id} ${side}`).to.deep.equal([])
        const medians = Object.values(figures.figures).map(f => f.median)
        expect(medians, `${result.id} ${side}`).to.not.be.empty()
        // timings are positive; counters such as findRetries may be 0
        medians.forEach(median => expect(median, `${result.id} ${side}`).to.be.a('number').and.be.at.least(0))
        expect(Math.max(...medians), `${result.id} ${side}`).to.be.above(0)
        // every process of the trial reported its peak memory
        const peaks = Object.values(figures.memoryMiB).map(m => m.max)
        expect(peaks, `${result.id} ${side}`).to.not.be.empty()
        peaks.forEach(peak => expect(peak, `${result.id} ${side}`).to.be.above(10))
      }
    }
  })

  it('prints a row with a median for every side of every workload, and the targets', () => {
    for (const result of json.results) {
      for (const side of Object.keys(result.sides)) {
        const row = run.stdout.split('\n').find(line => line.startsWith(`| ${result.id} `) && line.includes(`| ${side} | `))
        expect(row, `${result.id} ${side}`).to.be.a('string')
        expect(row, `${result.id} ${side}`).to.match(/\| [0-9.]+ (ms|MB\/s|µs) \|/)
      }
    }

    expect(run.stdout).to.include('Targets')

    for (const id of ['w1', 'w2', 'w3', 'w4', 'w7', 'w8']) {
      expect(run.stdout, id).to.match(new RegExp(`\\| ${id} \\w+ \\| .* \\| (yes|NO) \\|`))
    }
  })
})
