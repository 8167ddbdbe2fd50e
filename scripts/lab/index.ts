/**
 * `npm run lab`: the NAT lab's scenarios at full size (needs root; installs iptables and coturn with
 * apt-get when missing). Everything runs in network namespaces with no route out of the lab.
 *
 * ```sh
 * npm run lab                                  # every scenario, 20 runs each
 * npm run lab -- --runs 5 --only easy-easy
 * npm run lab -- --only stops --stops 50    # clean stops with WebRTC peers connected
 * ```
 *
 * One summary line per scenario; progress on stderr. Exit code 0 when the scenarios that must pass
 * did (see EXPECTED), 1 otherwise.
 */
import { parseArgs } from 'node:util'
import { runNatPair, summary } from '../../harness/lab/scenarios.ts'
import { runShutdownSoak } from '../../harness/lab/shutdown.ts'
import type { NatType } from '../../harness/lab/net.ts'
import type { IceChoice } from '../../harness/lab/scenarios.ts'

interface Scenario { natA: NatType, natB: NatType, ice: IceChoice, mustPass: boolean }

const SCENARIOS: Record<string, Scenario> = {
  'easy-easy': { natA: 'easy', natB: 'easy', ice: 'stun', mustPass: true },
  // controls: no STUN server (host candidates only cannot cross a NAT); STUN across a hard NAT
  'easy-easy-no-stun': { natA: 'easy', natB: 'easy', ice: 'none', mustPass: false },
  'easy-hard': { natA: 'easy', natB: 'hard', ice: 'stun', mustPass: false },
  'easy-hard-turn': { natA: 'easy', natB: 'hard', ice: 'stun+turn', mustPass: true },
  'hard-hard-turn': { natA: 'hard', natB: 'hard', ice: 'stun+turn', mustPass: true }
}

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    stops: { type: 'string', default: '50' },
    only: { type: 'string' },
    quiet: { type: 'boolean' }
  },
  strict: true
})

const runs = Number(values.runs)

if (!Number.isInteger(runs) || runs < 1) {
  throw new TypeError(`--runs takes a whole number > 0, not "${values.runs}"`)
}

const only = values.only?.split(',') ?? [...Object.keys(SCENARIOS), 'stops']
const unknown = only.filter(name => SCENARIOS[name] == null && name !== 'stops')

if (unknown.length > 0) {
  throw new TypeError(`unknown scenario ${unknown.join(', ')}: use ${Object.keys(SCENARIOS).join(', ')}`)
}

// on a signal, exit through process.exit so the lab's exit hook removes its namespaces
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => { process.exit(130) })
}

let failed = false

for (const name of only) {
  if (name === 'stops') {
    const rounds = Number(values.stops)
    const stops = await runShutdownSoak({
      prefix: `dp-nat-${process.pid}-`,
      rounds,
      log: values.quiet === true ? undefined : line => { process.stderr.write(line + '\n') }
    })
    const clean = stops.filter(s => s.exit === 'exit 0')
    const withWebrtc = stops.filter(s => s.webrtcConnections > 0).length
    process.stdout.write(`stops: ${clean.length}/${stops.length} exited 0 (${withWebrtc} with a WebRTC connection open; daemon and server, SIGINT and SIGTERM alternating)\n`)
    stops.filter(s => s.exit !== 'exit 0').forEach(s => { process.stdout.write(`  ${s.who} ${s.signal}: ${s.exit}\n${s.stderrTail ?? ''}\n`) })
    failed ||= clean.length !== stops.length || rounds * 2 !== stops.length
    continue
  }

  const scenario = SCENARIOS[name]
  const result = await runNatPair({
    prefix: `dp-nat-${process.pid}-`,
    ...scenario,
    runs,
    runTimeout: 60_000,
    log: values.quiet === true ? undefined : line => { process.stderr.write(line + '\n') }
  })
  const line = summary(result)
  process.stdout.write(`${name}: ${line}\n`)

  if (scenario.mustPass && result.runs.some(r => !r.ok)) {
    failed = true
  }
}

process.exit(failed ? 1 : 0)
