/* eslint-disable no-console -- a command-line tool: its output is the point */
/**
 * `npm run bench`: docpeer against automerge's official WebSocket adapters (and the transport
 * floor against raw TCP), side by side, in one process tree. Every trial starts fresh child
 * processes (one per peer), sides alternate order from round to round, and the figures are
 * medians with min-max over the rounds. Usage: `npm run bench -- --help`.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, totalmem, release } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { BenchProcess } from './lib/proc.ts'
import { fmt, summarize } from './lib/stats.ts'
import { WORKLOADS } from './workloads.ts'
import type { Summary } from './lib/stats.ts'
import type { TrialContext, TrialFigures, Workload } from './workloads.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

const HELP = `Usage: npm run bench -- [options]

Options:
  --rounds N       rounds per workload (default 5; 1 with --smoke)
  --only LIST      run only these workloads, e.g. w1,w3
  --json FILE      write every figure (and each round's values) to FILE
  --smoke          tiny counts, for CI: checks that every workload runs, measures nothing
  --cpu-prof DIR   write a V8 CPU profile of every child process into DIR (summarize them
                   with node scripts/bench/profile-top.ts DIR/<file>.cpuprofile), and of
                   phases some workloads mark (w5: DIR/w5-<side>-r1-hub-converge.cpuprofile,
                   w8: DIR/w8-<side>-r1-idle-<process>.cpuprofile)
  -h, --help       show this help`

interface SideResult {
  figures: Record<string, Summary & { values: number[] }>
  memoryMiB: Record<string, Summary>
  errors: string[]
}

interface WorkloadResult {
  id: string
  title: string
  params: Record<string, any>
  sides: Record<string, SideResult>
  ratios: Record<string, Record<string, number>>
  /**
   * The median over rounds of the ratio within a round (the two sides ran back to back, so slow
   * drifts of the machine's load cancel out)
   */
  pairedRatios: Record<string, Record<string, number>>
  targets: Array<{ figure: string, text: string, ratio?: number, pairedRatio?: number, value?: number, met?: boolean }>
}

async function main (): Promise<number> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string' },
      only: { type: 'string' },
      json: { type: 'string' },
      smoke: { type: 'boolean' },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    },
    strict: true
  })

  if (values.help === true) {
    console.info(HELP)
    return 0
  }

  const smoke = values.smoke === true
  const rounds = Number(values.rounds ?? (smoke ? 1 : 5))

  if (!Number.isInteger(rounds) || rounds < 1) {
    console.error(`--rounds must be a positive integer, got "${values.rounds}"`)
    return 2
  }

  const only = values.only?.split(',').map(s => s.trim()).filter(s => s !== '')
  const unknown = only?.filter(id => !WORKLOADS.some(w => w.id === id)) ?? []

  if (unknown.length > 0) {
    console.error(`unknown workload(s) ${unknown.join(', ')}: use ${WORKLOADS.map(w => w.id).join(', ')}`)
    return 2
  }

  const workloads = WORKLOADS.filter(w => only == null || only.includes(w.id))
  const cpuProfDir = values['cpu-prof'] == null ? undefined : resolve(values['cpu-prof'])

  if (cpuProfDir != null) {
    await mkdir(cpuProfDir, { recursive: true })
  }

  if (workloads.some(w => w.id === 'w7')) {
    ensureBuilt()
  }

  const machine = describeMachine()
  console.info(`docpeer bench: ${rounds} round(s)${smoke ? ', smoke counts' : ''}; ${machine.cpu} x${machine.cores}, ${machine.memGiB} GiB, Node ${machine.node}`)

  const results: WorkloadResult[] = []

  for (const workload of workloads) {
    const started = performance.now()
    const result = await runWorkload(workload, rounds, smoke, cpuProfDir)
    results.push(result)
    printWorkload(workload, result)
    console.info(`(${workload.id} took ${((performance.now() - started) / 1000).toFixed(1)} s)`)
  }

  printSummary(results)

  if (values.json != null) {
    await writeFile(values.json, JSON.stringify({ date: new Date().toISOString(), machine, rounds, smoke, results }, null, 2))
    console.info(`\nfigures written to ${values.json}`)
  }

  return 0
}

async function runWorkload (full: Workload, rounds: number, smoke: boolean, cpuProfDir?: string): Promise<WorkloadResult> {
  const workload = smoke && full.smokeSides != null ? { ...full, sides: full.smokeSides } : full
  const params = workload.params(smoke)
  const raw: Record<string, RawSide> = {}

  for (const side of workload.sides) {
    raw[side] = { figures: {}, memory: {}, errors: [], byRound: [] }
  }

  console.info(`\n${workload.id}: ${workload.title}`)
  console.info(`  params ${JSON.stringify(params)}`)

  for (let round = 0; round < rounds; round++) {
    // rotate the order every round, so neither side always runs first (cold caches, CPU boost)
    const order = workload.sides.map((_, i) => workload.sides[(i + round) % workload.sides.length])

    for (const side of order) {
      await runTrial(workload, side, round, params, raw[side], smoke, cpuProfDir)
    }
  }

  const sides: Record<string, SideResult> = {}

  for (const [side, record] of Object.entries(raw)) {
    const figures: SideResult['figures'] = {}

    for (const [key, list] of Object.entries(record.figures)) {
      const summary = summarize(list)

      if (summary != null) {
        figures[key] = { ...summary, values: list }
      }
    }

    const memoryMiB: SideResult['memoryMiB'] = {}

    for (const [name, list] of Object.entries(record.memory)) {
      const summary = summarize(list)

      if (summary != null) {
        memoryMiB[name] = summary
      }
    }

    sides[side] = { figures, memoryMiB, errors: record.errors }
  }

  const [first, ...others] = workload.sides
  const ratios: WorkloadResult['ratios'] = {}
  const pairedRatios: WorkloadResult['pairedRatios'] = {}

  for (const other of others) {
    ratios[other] = {}
    pairedRatios[other] = {}

    for (const figure of workload.figures) {
      const a = sides[first].figures[figure.key]?.median
      const b = sides[other].figures[figure.key]?.median

      if (a != null && b != null && b !== 0) {
        ratios[other][figure.key] = a / b
      }

      const withinRounds = raw[first].byRound.flatMap((mine, round) => {
        const theirs = raw[other].byRound[round]?.[figure.key]
        return mine?.[figure.key] == null || theirs == null || theirs === 0 ? [] : [mine[figure.key] / theirs]
      })
      const paired = summarize(withinRounds)?.median

      if (paired != null) {
        pairedRatios[other][figure.key] = paired
      }
    }
  }

  const targets = workload.targets.map(target => {
    const ratio = others.length > 0 ? ratios[others[0]][target.figure] : undefined
    const pairedRatio = others.length > 0 ? pairedRatios[others[0]][target.figure] : undefined
    const value = sides[first].figures[target.figure]?.median
    return { figure: target.figure, text: target.text, ratio, pairedRatio, value, met: target.met(ratio, value) }
  })

  return { id: workload.id, title: workload.title, params, sides, ratios, pairedRatios, targets }
}

interface RawSide {
  figures: Record<string, number[]>
  byRound: Array<TrialFigures | undefined>
  memory: Record<string, number[]>
  errors: string[]
}

/**
 * One trial: fresh processes, the workload's calls, each process's peak RSS, and the processes
 * stopped whatever happened.
 */
async function runTrial (workload: Workload, side: string, round: number, params: Record<string, any>, record: RawSide, smoke: boolean, cpuProfDir?: string): Promise<void> {
  const procs: BenchProcess[] = []
  const memory: Record<string, number> = {}
  const profile = cpuProfDir != null
  const ctx: TrialContext = {
    smoke,
    spawn: (name) => {
      const execArgv = profile ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`, `--cpu-prof-name=${workload.id}-${side}-r${round + 1}-${name}.cpuprofile`] : []
      const proc = new BenchProcess(`${workload.id}/${side}/${name}`, { execArgv })
      procs.push(proc)
      return proc
    },
    memory: (name, mib) => { memory[name] = mib },
    phaseProfile: profile ? `${cpuProfDir}/${workload.id}-${side}-r${round + 1}` : undefined
  }

  const limit = smoke ? 60_000 : 300_000
  let timer: ReturnType<typeof setTimeout> | undefined
  const trialStart = performance.now()

  try {
    const figures = await Promise.race([
      workload.trial(side, params, ctx),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => { reject(new Error(`trial took longer than ${limit / 1000} s`)) }, limit)
      })
    ])

    for (const [key, value] of Object.entries(figures)) {
      (record.figures[key] ??= []).push(value)
    }

    record.byRound[round] = figures

    const took = ((performance.now() - trialStart) / 1000).toFixed(1)
    const shown = workload.figures.map(f => `${f.key} ${fmt(figures[f.key])} ${f.unit}`).join(', ')
    // figures a workload reports besides its declared ones (retries, message counts): JSON and here
    const extra = Object.keys(figures).filter(key => !workload.figures.some(f => f.key === key)).map(key => `${key} ${fmt(figures[key])}`)
    console.info(`  round ${round + 1} ${side}: ${shown} (trial ${took} s)${extra.length > 0 ? `; ${extra.join(', ')}` : ''}`)
  } catch (err: any) {
    const message = String(err?.message ?? err).split('\n')[0]
    record.errors.push(message)
    console.info(`  round ${round + 1} ${side}: FAILED ${message}`)
  } finally {
    clearTimeout(timer)
  }

  for (const proc of procs) {
    const mib = await Promise.race([
      proc.peakRssMiB(),
      new Promise<number>(resolve => setTimeout(() => { resolve(NaN) }, 5000))
    ]).catch(() => NaN)
    memory[proc.name.split('/').pop() ?? proc.name] = mib
  }

  await Promise.all(procs.map(async proc => { await proc.stop() }))

  for (const [name, mib] of Object.entries(memory)) {
    (record.memory[name] ??= []).push(mib)
  }
}

function range (summary?: Summary): string {
  return summary == null ? '-' : `${fmt(summary.min)}-${fmt(summary.max)}`
}

function memoryText (side?: SideResult): string {
  if (side == null) {
    return '-'
  }

  const entries = Object.entries(side.memoryMiB)
  return entries.length === 0 ? '-' : entries.map(([name, s]) => `${name} ${fmt(s.max)}`).join(', ')
}

/**
 * One table per workload: a row per figure and side, the ratio against docpeer's side.
 */
function printWorkload (workload: Workload, result: WorkloadResult): void {
  const sides = Object.keys(result.sides)
  const [first] = sides
  console.info('')
  console.info(`| ${workload.id} | side | median | min-max | ${first} / side (paired) | peak RSS MiB (max) |`)
  console.info('|---|---|---|---|---|---|')

  for (const figure of workload.figures) {
    for (const side of sides) {
      const summary = result.sides[side].figures[figure.key]
      const ratio = side === first ? '' : `${fmt(result.ratios[side]?.[figure.key])} (${fmt(result.pairedRatios[side]?.[figure.key])})`
      const value = summary == null ? `n/a (${result.sides[side].errors[0] ?? 'no figure'})` : `${fmt(summary.median)} ${figure.unit}`
      console.info(`| ${workload.id} ${figure.label} (${figure.better} is better) | ${side} | ${value} | ${range(summary)} | ${ratio} | ${memoryText(result.sides[side])} |`)
    }
  }
}

function printSummary (results: WorkloadResult[]): void {
  console.info('\nTargets')
  console.info('| workload | target | docpeer | ratio | paired ratio | met |')
  console.info('|---|---|---|---|---|---|')

  for (const result of results) {
    for (const target of result.targets) {
      let met = 'n/a'

      if (target.met != null) {
        met = target.met ? 'yes' : 'NO'
      }

      console.info(`| ${result.id} ${target.figure} | ${target.text} | ${fmt(target.value)} | ${fmt(target.ratio)} | ${fmt(target.pairedRatio)} | ${met} |`)
    }
  }
}

/**
 * bin/docpeer.js runs the build in dist/: build it on a fresh clone, and warn when it is older than
 * the sources.
 */
function ensureBuilt (): void {
  const entry = join(ROOT, 'dist/src/cli/index.js')

  if (!existsSync(entry)) {
    console.info('dist/ is missing: running `npm run build` for workload 7 (bin/docpeer.js runs dist/)')
    const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' })

    if (build.status !== 0) {
      console.info('build failed: workload 7 will fail')
    }
  }
}

function describeMachine (): { cpu: string, cores: number, memGiB: number, node: string, os: string } {
  const list = cpus()
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.versions.node,
    os: `${process.platform} ${release()}`
  }
}

main().then(code => {
  process.exitCode = code
}, err => {
  console.error(err)
  process.exitCode = 1
})
