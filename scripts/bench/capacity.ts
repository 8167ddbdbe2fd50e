/* eslint-disable no-console -- a command-line tool: its output is the point */
/**
 * How many peers one docpeer server holds: `node scripts/bench/capacity.ts [--peers 1000]
 * [--procs 5] [--concurrency 50] [--cpu-prof DIR]`. The peers run in a few processes (daemon role, each dialing the
 * server once); the server in its own. Prints, as one JSON object:
 *
 * - admission: time from the first dial to the last peer with sync up, and peers per second;
 * - the server's heap (after GC) and RSS per idle connected peer;
 * - fan-out: every peer opens a document the server created (join), then a change on the server
 * until every peer sees it (change).
 */
import { parseArgs } from 'node:util'
import { BenchProcess } from './lib/proc.ts'

const { values } = parseArgs({
  options: {
    peers: { type: 'string', default: '1000' },
    procs: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '20' },
    // a CPU profile of the server during the join and the fan-out, written to DIR/server-join.cpuprofile
    'cpu-prof': { type: 'string' }
  }
})

const peers = Number(values.peers)
const procCount = Number(values.procs)
const concurrency = Number(values.concurrency)
const MiB = 1024 * 1024

const server = new BenchProcess('server', { execArgv: ['--max-old-space-size=8192'] })
const procs = Array.from({ length: procCount }, (_, i) => new BenchProcess(`peers-${i + 1}`, { execArgv: ['--max-old-space-size=8192'] }))

try {
  const address: string = await server.call('capacity#startServer', peers + 100)
  const before = await server.call('capacity#memory')
  const perProc = Math.ceil(peers / procCount)
  await Promise.all(procs.map(async (proc, i) => proc.call('capacity#create', Math.min(perProc, peers - i * perProc))))
  const started = performance.now()
  const admitted = await Promise.all(procs.map(async proc => proc.call('capacity#connect', address, Math.max(1, Math.round(concurrency / procCount)))))
  const admissionMs = performance.now() - started
  // idle for a while: what an idle peer costs, not the handshakes
  await new Promise(resolve => setTimeout(resolve, 10_000))
  const idle = await server.call('capacity#memory')
  // admission and idle figures first: they stand even if the fan-out part fails
  console.info(JSON.stringify({ admissionMs: Math.round(admissionMs), idle, before }))

  const url = await server.call('capacity#createDoc')

  if (values['cpu-prof'] != null) {
    await server.call('profiler#start')
  }

  let joinMs: number
  let changeMs: number

  try {
    const joinStart = performance.now()
    await Promise.all(procs.map(async proc => proc.call('capacity#join', url)))
    joinMs = performance.now() - joinStart

    const changeStart = performance.now()
    const seen = Promise.all(procs.map(async proc => proc.call('capacity#waitValue', 1)))
    await server.call('capacity#change', 1)
    await seen
    changeMs = performance.now() - changeStart
  } finally {
    // written when the join fails too: that is when it is wanted most
    if (values['cpu-prof'] != null) {
      await server.call('profiler#stop', `${values['cpu-prof']}/server-join.cpuprofile`)
    }
  }

  const after = await server.call('capacity#memory')

  console.info(JSON.stringify({
    peers,
    procs: procCount,
    concurrency,
    serverConnections: idle.connections,
    serverSyncPeers: idle.syncPeers,
    admissionMs: Math.round(admissionMs),
    admittedPerSecond: Math.round(peers / (admissionMs / 1000)),
    dialRetries: admitted.reduce((n: number, a: any) => n + a.retries, 0),
    heapPerIdlePeerKiB: Math.round((idle.heapUsed - before.heapUsed) / peers / 1024),
    rssPerIdlePeerKiB: Math.round((idle.rss - before.rss) / peers / 1024),
    serverHeapIdleMiB: Math.round(idle.heapUsed / MiB),
    serverRssIdleMiB: Math.round(idle.rss / MiB),
    joinMs: Math.round(joinMs),
    changeFanOutMs: Math.round(changeMs),
    serverHeapAfterDocMiB: Math.round(after.heapUsed / MiB)
  }, null, 2))
} finally {
  await Promise.all([server, ...procs].map(async proc => { await proc.stop() }))
}
