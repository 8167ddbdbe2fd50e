/**
 * `npm run soak`: the long reliability scenarios of issue 7, with their counts as arguments.
 *
 * ```sh
 * npm run soak                      # everything at full size
 * npm run soak -- --fuzz 100000 --spoof 200 --crash 20 --churn 1000 --peers 30
 * npm run soak -- --only fuzz --fuzz 5000 --seed 42
 * ```
 *
 * One summary line per scenario (inputs tried, crashes, lost changes, leaks, figures); progress on
 * stderr. Exit code 0 when every scenario passed, 1 otherwise. Everything runs on 127.0.0.1.
 */
import { parseArgs } from 'node:util'
import { mib } from '../../harness/memory.ts'
import { runAttacks } from '../../harness/soak/attacks.ts'
import { runChurn } from '../../harness/soak/churn.ts'
import { runCrash } from '../../harness/soak/crash.ts'
import { runDocFlood } from '../../harness/soak/doc-flood.ts'
import { runFuzz } from '../../harness/soak/fuzz.ts'
import { runManyPeers } from '../../harness/soak/many-peers.ts'
import { runSpoof } from '../../harness/soak/spoof.ts'

const SCENARIOS = ['fuzz', 'spoof', 'crash', 'churn', 'peers', 'docflood', 'attacks'] as const
type Scenario = typeof SCENARIOS[number]

const HELP = `Usage: npm run soak -- [options]

  --fuzz N      malformed inputs on the sync protocol            (default 100000)
  --spoof N     rounds of spoofed frames (about 11 per round)      (default 200)
  --crash N     SIGKILL and restart rounds of a daemon            (default 20)
  --churn N     connect/disconnect cycles between two peers      (default 1000)
  --churn-threshold N  inbound connections per second per host on both churn peers (default 100;
                the server role's default is 5: dials over it are refused and retried)
  --peers N     peers converging through one server              (default 30)
  --docs N      documents in the many-peers scenario             (default 5)
  --docflood N  requests for unknown documents, to measure what the server keeps (default 5000)
  --docflood-access MODE  the flooded server's access mode: open or restricted (default restricted)
  --attacks N   attempts per attack on a restricted server (stranger, reader, revoked, spoof, swarm key) (default 100)
  --only LIST   comma-separated scenarios: ${SCENARIOS.join(',')}
  --seed N      PRNG seed of the fuzz and crash scenarios (printed in their summary)
  --quiet       no progress lines
`

function count (value: string | undefined, fallback: number, name: string): number {
  if (value == null) {
    return fallback
  }

  const n = Number(value)

  if (!Number.isInteger(n) || n < 0) {
    throw new TypeError(`--${name} takes a whole number, not "${value}"`)
  }

  return n
}

interface Context {
  values: { fuzz?: string, spoof?: string, crash?: string, churn?: string, peers?: string, docs?: string, docflood?: string, 'docflood-access'?: string, attacks?: string, 'churn-threshold'?: string }
  seed?: number
  progress(line: string): void
  line(name: string, ok: boolean, fields: Record<string, unknown>): void
}

async function soakFuzz (ctx: Context): Promise<void> {
  const { values, seed, progress, line } = ctx
  const r = await runFuzz({ inputs: count(values.fuzz, 100_000, 'fuzz'), seed, progress })
  const ok = r.crashes === 0 && r.targetAlive && r.unexpected === 0 && r.outcomes.hung === 0 && r.slowUnended === 0 &&
    r.inboundStreamsThatLogged === r.inboundStreamLoggers && r.honestConverged && r.honestDisconnects === 0 &&
    r.targetActiveRemotesAfter === 1 && r.targetIdleRemotesAfter === 0
  line('fuzz', ok, {
    inputs: r.inputs,
    crashes: r.crashes,
    unexpected: r.unexpected,
    hung: r.outcomes.hung,
    outcomes: r.outcomes,
    slowloris: `${r.slowStreams - r.slowUnended}/${r.slowStreams} ended`,
    logged: `${r.inboundStreamsThatLogged}/${r.inboundStreamLoggers} streams`,
    honest: r.honestConverged ? `converged (${r.honestChanges} changes, ${r.honestDisconnects} disconnects)` : 'NOT converged',
    heapMiB: `${mib(r.heapBefore)}->${mib(r.heapAfter)} (max ${mib(r.heapMax)})`,
    documentsAskedFor: r.targetHandlesAfter,
    leaks: `${r.targetActiveRemotesAfter - 1} active, ${r.targetIdleRemotesAfter} idle remotes`,
    repoComplaints: r.repoComplaints,
    seconds: (r.durationMs / 1000).toFixed(0),
    seed: r.seed
  })
  if (r.unexpectedExamples.length > 0) {
    progress(`fuzz: unexpected outcomes, e.g. ${r.unexpectedExamples.join('; ')}`)
  }
}

async function soakSpoof (ctx: Context): Promise<void> {
  const { values, progress, line } = ctx
  const r = await runSpoof({ rounds: count(values.spoof, 200, 'spoof'), progress })
  const ok = r.crashes === 0 && r.reachedRepo === 0 && r.joinsAccepted === 0 && r.notReset === 0 &&
    r.controlsReceived === r.controlsSent && r.honestDisconnects === 0
  line('spoof', ok, {
    attempts: r.attempts,
    reachedRepo: r.reachedRepo,
    joinsAccepted: r.joinsAccepted,
    notReset: r.notReset,
    controls: `${r.controlsReceived}/${r.controlsSent}`,
    ephemeralOriginClaims: `${r.ephemeralOriginClaimsReceived}/${r.ephemeralOriginClaimsSent} passed (by design)`,
    crashes: r.crashes,
    seconds: (r.durationMs / 1000).toFixed(0)
  })
}

async function soakCrash (ctx: Context): Promise<void> {
  const { values, seed, progress, line } = ctx
  const r = await runCrash({ rounds: count(values.crash, 20, 'crash'), seed, progress })
  const ok = r.crashes === 0 && r.lostChanges === 0 && r.corruptLoads === 0 && r.reconnectFailures === 0
  const sorted = [...r.reconnectMs].sort((x, y) => x - y)
  line('crash', ok, {
    rounds: r.rounds,
    kills: r.kills,
    crashes: r.crashes,
    changes: `${r.changesOnDaemon}/${r.changesWritten}`,
    lostChanges: r.lostChanges,
    corruptLoads: r.corruptLoads,
    reconnectMs: `median ${sorted[Math.floor(sorted.length / 2)] ?? '-'}, max ${sorted.at(-1) ?? '-'} (${r.reconnectFailures} failed)`,
    seconds: (r.durationMs / 1000).toFixed(0),
    seed: r.seed
  })
}

async function soakChurn (ctx: Context): Promise<void> {
  const { values, progress, line } = ctx
  const r = await runChurn({ cycles: count(values.churn, 1000, 'churn'), inboundConnectionThreshold: count(values['churn-threshold'], 100, 'churn-threshold'), progress })
  const ok = r.crashes === 0 && r.lostChanges === 0 && r.leaks.length === 0
  line('churn', ok, {
    cycles: r.cycles,
    crashes: r.crashes,
    lostChanges: r.lostChanges,
    leaks: r.leaks.length === 0 ? 'none' : r.leaks.join(', '),
    dialRetries: r.dialRetries,
    inboundThreshold: r.inboundConnectionThreshold,
    heapMiB: `${mib(r.baseline.heap)}->${mib(r.after.heap)} (+${mib(r.heapGrowth)})`,
    seconds: (r.durationMs / 1000).toFixed(0)
  })
}

async function soakPeers (ctx: Context): Promise<void> {
  const { values, progress, line } = ctx
  const r = await runManyPeers({ peers: count(values.peers, 30, 'peers'), docs: count(values.docs, 5, 'docs'), progress })
  const ok = r.crashes === 0 && r.converged
  line('peers', ok, {
    peers: r.peers,
    docs: r.docs,
    converged: r.converged,
    missing: r.missing,
    crashes: r.crashes,
    convergeMs: r.convergeMs,
    dialRetries: r.dialRetries,
    disconnects: r.disconnects,
    serverHeapKiBPerPeer: (r.heapPerPeer / 1024).toFixed(0),
    serverRssKiBPerPeer: (r.rssPerPeer / 1024).toFixed(0),
    serverHeapMiB: `${mib(r.serverHeapBefore)}->${mib(r.serverHeapAfter)}`,
    seconds: (r.durationMs / 1000).toFixed(0)
  })
}

/**
 * A measurement: passes as long as the target survives; the figure is the point.
 */
async function soakDocflood (ctx: Context): Promise<void> {
  const { values, line } = ctx
  const access = values['docflood-access'] ?? 'restricted'

  if (access !== 'open' && access !== 'restricted') {
    throw new TypeError(`--docflood-access takes open or restricted, not "${access}"`)
  }

  const r = await runDocFlood(count(values.docflood, 5000, 'docflood'), access)
  line('docflood', r.crashes === 0 && r.targetAlive, {
    access,
    requests: r.requests,
    refused: r.refused,
    handlesKept: r.handles,
    heapMiB: `${mib(r.heapBefore)}->${mib(r.heapAfter)}`,
    keptKiBPerUnknownDocument: (r.bytesPerRequest / 1024).toFixed(1),
    crashes: r.crashes
  })
}

async function soakAttacks (ctx: Context): Promise<void> {
  const { values, progress, line } = ctx
  const r = await runAttacks({ rounds: count(values.attacks, 100, 'attacks'), progress })
  const successes = Object.values(r.successes).reduce((a, b) => a + b, 0)
  line('attacks', r.crashes === 0 && successes === 0 && r.honestArrived, {
    attempts: r.attempts,
    successes: r.successes,
    refused: r.refused,
    honestChange: r.honestArrived ? 'arrived' : 'LOST',
    crashes: r.crashes,
    seconds: (r.durationMs / 1000).toFixed(0)
  })
}

async function main (argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      fuzz: { type: 'string' },
      spoof: { type: 'string' },
      crash: { type: 'string' },
      churn: { type: 'string' },
      peers: { type: 'string' },
      docs: { type: 'string' },
      docflood: { type: 'string' },
      'docflood-access': { type: 'string' },
      attacks: { type: 'string' },
      'churn-threshold': { type: 'string' },
      only: { type: 'string' },
      seed: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    }
  })

  if (values.help === true) {
    process.stdout.write(HELP)
    return 0
  }

  const only = values.only == null ? [...SCENARIOS] : values.only.split(',').map(s => s.trim())

  for (const name of only) {
    if (!SCENARIOS.includes(name as Scenario)) {
      throw new TypeError(`unknown scenario "${name}": use ${SCENARIOS.join(', ')}`)
    }
  }

  const seed = values.seed == null ? undefined : count(values.seed, 0, 'seed')
  const progress = values.quiet === true ? () => {} : (line: string) => { process.stderr.write(`${new Date().toISOString()} ${line}\n`) }
  const run = (name: Scenario): boolean => only.includes(name)
  let failed = 0

  const line: Context['line'] = (name, ok, fields) => {
    if (!ok) {
      failed++
    }

    const text = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ')
    process.stdout.write(`${ok ? 'PASS' : 'FAIL'} ${name}: ${text}\n`)
  }
  const ctx: Context = { values, seed, progress, line }

  if (run('fuzz')) {
    await soakFuzz(ctx)
  }

  if (run('spoof')) {
    await soakSpoof(ctx)
  }

  if (run('crash')) {
    await soakCrash(ctx)
  }

  if (run('churn')) {
    await soakChurn(ctx)
  }

  if (run('peers')) {
    await soakPeers(ctx)
  }

  if (run('docflood')) {
    await soakDocflood(ctx)
  }

  if (run('attacks')) {
    await soakAttacks(ctx)
  }

  return failed === 0 ? 0 : 1
}

main(process.argv.slice(2)).then(code => {
  process.exit(code)
}, err => {
  process.stderr.write(`soak: ${err.message}\n`)
  process.exit(2)
})
