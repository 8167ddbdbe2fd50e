/**
 * The eight workloads, seen from the orchestrating process: which processes each trial spawns,
 * what it calls in them, and which figures and targets it has. The peer side of each lives in
 * peers/*.ts and runs in the child processes.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { now } from './lib/stats.ts'
import type { BenchProcess } from './lib/proc.ts'

export interface Figure {
  key: string
  label: string
  unit: string
  better: 'lower' | 'higher'
}

export interface Target {
  figure: string
  /**
   * What the target says, for people.
   */
  text: string
  /**
   * `ratio` is the first side's median over the second side's; `value` the first side's median.
   */
  met(ratio: number | undefined, value: number | undefined): boolean | undefined
}

export interface TrialContext {
  smoke: boolean
  /**
   * Starts a child process for one peer of this trial; it is stopped (and its peak RSS recorded)
   * when the trial ends.
   */
  spawn(name: string): BenchProcess
  /**
   * Records the peak RSS of a process the trial started itself, in MiB.
   */
  memory(name: string, mib: number): void
  /**
   * With `--cpu-prof DIR`: where a workload writes profiles of one phase (`profiler#start`/`stop`
   * in its processes), as a path prefix (`DIR/w5-docpeer-r1`); undefined otherwise.
   */
  phaseProfile?: string
}

export type TrialFigures = Record<string, number>

export interface Workload {
  id: string
  title: string
  /**
   * The first side is docpeer's; ratios are taken against the second (the anchor), and against
   * any further sides for information.
   */
  sides: string[]
  /**
   * The sides a smoke run covers, if not all.
   */
  smokeSides?: string[]
  figures: Figure[]
  targets: Target[]
  params(smoke: boolean): Record<string, any>
  trial(side: string, params: any, ctx: TrialContext): Promise<TrialFigures>
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

async function pair (side: string, ctx: TrialContext): Promise<{ a: BenchProcess, b: BenchProcess }> {
  const a = ctx.spawn('A')
  const b = ctx.spawn('B')
  const { address } = await a.call('sync#start', side, { listen: true })
  await b.call('sync#start', side)
  await b.call('sync#connect', address)
  await a.call('sync#waitPeers', 1)
  return { a, b }
}

/**
 * The automerge-repo messages A and B received since they were last asked: the number of sync
 * rounds, which depends on how fast each round trip is (a reply triggers the next message).
 */
async function messageCounts (a: BenchProcess, b: BenchProcess): Promise<{ messagesToA: number, messagesToB: number }> {
  const [messagesToA, messagesToB] = await Promise.all([a.call('sync#takeReceived'), b.call('sync#takeReceived')])
  return { messagesToA, messagesToB }
}

const docs: Workload = {
  id: 'w1',
  title: 'small documents created on A, all ready on B (B finds each URL)',
  sides: ['docpeer', 'anchor'],
  figures: [
    { key: 'ms', label: 'all ready on B', unit: 'ms', better: 'lower' }
  ],
  targets: [
    { figure: 'ms', text: 'docpeer / anchor <= 0.95', met: ratio => ratio == null ? undefined : ratio <= 0.95 }
  ],
  params: smoke => ({ docs: smoke ? 20 : 1000 }),
  async trial (side, params, ctx) {
    const { a, b } = await pair(side, ctx)
    await messageCounts(a, b) // counts from here on
    const start = performance.now()
    const urls = await a.call('docs#create', params.docs)
    const { retries } = await b.call('docs#findAll', urls)
    const ms = performance.now() - start
    return { ms, findRetries: retries, ...await messageCounts(a, b) }
  }
}

const changes: Workload = {
  id: 'w2',
  title: 'small successive changes to one document on A, until B sees the last',
  sides: ['docpeer', 'anchor'],
  figures: [
    { key: 'tight', label: 'tight loop', unit: 'ms', better: 'lower' },
    { key: 'yielding', label: 'yielding between changes', unit: 'ms', better: 'lower' }
  ],
  targets: [
    { figure: 'tight', text: 'docpeer / anchor <= 0.95', met: ratio => ratio == null ? undefined : ratio <= 0.95 },
    { figure: 'yielding', text: 'docpeer / anchor <= 0.95', met: ratio => ratio == null ? undefined : ratio <= 0.95 }
  ],
  params: smoke => ({ changes: smoke ? 200 : 10_000 }),
  async trial (side, params, ctx) {
    const { a, b } = await pair(side, ctx)
    const figures: TrialFigures = {}

    for (const mode of ['tight', 'yielding']) {
      const url = await a.call('changes#createDoc')
      await b.call('changes#open', url)
      await messageCounts(a, b) // counts from here on
      const start = performance.now()
      const seen = b.call('changes#waitFor', url, params.changes - 1)
      figures[`${mode}Local`] = await a.call('changes#run', url, params.changes, mode === 'yielding')
      await seen
      figures[mode] = performance.now() - start
      // what the network side adds to A's own loop of changes (automerge's, the same on both sides)
      figures[`${mode}AfterLoop`] = figures[mode] - figures[`${mode}Local`]

      for (const [direction, count] of Object.entries(await messageCounts(a, b))) {
        figures[`${mode}${direction[0].toUpperCase()}${direction.slice(1)}`] = count
      }
    }

    return figures
  }
}

const large: Workload = {
  id: 'w3',
  title: 'one large document (many changes, large text) synced to a fresh peer',
  sides: ['docpeer', 'anchor'],
  figures: [
    { key: 'mbps', label: 'throughput (payload)', unit: 'MB/s', better: 'higher' },
    { key: 'ms', label: 'connect to complete on B', unit: 'ms', better: 'lower' }
  ],
  targets: [
    { figure: 'mbps', text: 'docpeer >= 0.8x anchor speed', met: ratio => ratio == null ? undefined : ratio >= 0.8 }
  ],
  // 200 changes of 100,000 random base64 characters each (20 MB) + a collaborative text of 2,000
  // appends of 100 characters
  params: smoke => ({ blobs: smoke ? 5 : 200, blobChars: 100_000, splices: smoke ? 100 : 2000, spliceChars: 100 }),
  async trial (side, params, ctx) {
    const a = ctx.spawn('A')
    const b = ctx.spawn('B')
    const { address } = await a.call('sync#start', side, { listen: true })
    const { url, payload, saved } = await a.call('large#build', params)
    const ms: number = await b.call('large#fetch', side, address, url, params)
    return { ms, mbps: payload / 1e6 / (ms / 1000), savedBytes: saved }
  }
}

const dial: Workload = {
  id: 'w4',
  title: 'dial to peer-candidate on both sides (fresh dialer each time; median of the dials in a round)',
  sides: ['docpeer', 'anchor'],
  figures: [
    { key: 'both', label: 'both sides', unit: 'ms', better: 'lower' },
    { key: 'dialer', label: 'dialer side', unit: 'ms', better: 'lower' },
    { key: 'listener', label: 'listener side', unit: 'ms', better: 'lower' },
    { key: 'transport', label: 'transport up (docpeer: libp2p dial resolved; anchor: WebSocket open)', unit: 'ms', better: 'lower' },
    { key: 'sync', label: 'transport up to both candidates (the adapter handshake)', unit: 'ms', better: 'lower' }
  ],
  targets: [
    { figure: 'both', text: 'docpeer / anchor <= 1.5', met: ratio => ratio == null ? undefined : ratio <= 1.5 }
  ],
  params: smoke => ({ dials: smoke ? 2 : 10 }),
  async trial (side, params, ctx) {
    const a = ctx.spawn('A')
    const b = ctx.spawn('B')
    const { address } = await a.call('sync#start', side, { listen: true })
    const both: number[] = []
    const dialer: number[] = []
    const listener: number[] = []
    const transport: number[] = []
    const sync: number[] = []

    for (let i = 0; i < params.dials; i++) {
      await a.call('dial#arm')
      const dialed = await b.call('dial#trial', side, address)
      const seenByA: number = await a.call('dial#collect')
      await b.call('dial#release')
      both.push(Math.max(dialed.candidate, seenByA) - dialed.start)
      dialer.push(dialed.candidate - dialed.start)
      listener.push(seenByA - dialed.start)
      transport.push(dialed.transport - dialed.start)
      sync.push(Math.max(dialed.candidate, seenByA) - dialed.transport)
    }

    return { both: median(both), dialer: median(dialer), listener: median(listener), transport: median(transport), sync: median(sync) }
  }
}

const hub: Workload = {
  id: 'w5',
  title: 'peers syncing one document through one hub (docpeer: server role)',
  sides: ['docpeer', 'anchor'],
  figures: [
    { key: 'converge', label: 'every spoke writes once, until all see all', unit: 'ms', better: 'lower' },
    { key: 'join', label: 'all spokes find the document', unit: 'ms', better: 'lower' },
    { key: 'connect', label: 'all spokes connected to the hub', unit: 'ms', better: 'lower' },
    { key: 'floor', label: 'floor: as many bare libp2p connections (TCP + noise + yamux, no services) at once', unit: 'ms', better: 'lower' }
  ],
  targets: [],
  params: smoke => ({ spokes: smoke ? 5 : 50 }),
  async trial (side, params, ctx) {
    const h = ctx.spawn('hub')
    const s = ctx.spawn('spokes')
    // docpeer's side only: the same processes, before the hub starts (the floor's nodes are gone by then)
    let floor = NaN

    if (side === 'docpeer') {
      floor = await s.call('floor#dial', params.spokes, await h.call('floor#listen'))
      await Promise.all([h.call('floor#stop'), s.call('floor#stop')])
    }

    const { address } = await h.call('sync#start', side, { listen: true, hub: true })
    // the spokes are created, then timed while they connect; with --cpu-prof both phases are profiled
    await s.call('hub#create', side, params.spokes)
    const { ms: connect, dialRetries } = await profiled(ctx.phaseProfile, [[h, 'hub-connect'], [s, 'spokes-connect']], async () => s.call('hub#connect', address))
    const url = await h.call('hub#createDoc')
    const { ms: join, retries } = await s.call('hub#join', url)
    const converge = await profiled(ctx.phaseProfile, [[h, 'hub-converge'], [s, 'spokes-converge']], async () => s.call('hub#converge'))
    const maxConnectionsPerSpoke = await s.call('hub#maxConnections')
    return { converge, join, connect, floor, findRetries: retries, dialRetries, maxConnectionsPerSpoke }
  }
}

const transport: Workload = {
  id: 'w6',
  title: 'transport floor: a fresh libp2p stream (docpeer: TCP + noise + yamux) vs stock noise + yamux, raw TCP, WebSocket, and libp2p with TLS',
  sides: ['libp2p', 'libp2p-stock', 'tcp', 'ws', 'libp2p-tls'],
  smokeSides: ['libp2p', 'tcp'],
  figures: [
    { key: 'mbps', label: 'bulk throughput', unit: 'MB/s', better: 'higher' },
    { key: 'rttUs', label: '100-byte round trip', unit: 'µs', better: 'lower' },
    { key: 'connectMs', label: 'connect + open stream', unit: 'ms', better: 'lower' }
  ],
  targets: [],
  params: smoke => ({ bytes: (smoke ? 4 : 128) * 1024 * 1024, rtts: smoke ? 100 : 2000, size: 100 }),
  async trial (kind, params, ctx) {
    const server = ctx.spawn('server')
    const client = ctx.spawn('client')
    const address = await server.call('transport#serve', kind)
    const { connectMs, bulkMs } = await client.call('transport#bulk', kind, address, params.bytes)
    const rttUs = await client.call('transport#rtt', kind, address, params.rtts, params.size)
    return { mbps: params.bytes / 1e6 / (bulkMs / 1000), rttUs, connectMs }
  }
}

const startup: Workload = {
  id: 'w7',
  title: 'process start to first printed multiaddr: `node bin/docpeer.js daemon` (fresh data dir)',
  sides: ['daemon', 'daemon --helia'],
  figures: [
    { key: 'ms', label: 'start to first multiaddr', unit: 'ms', better: 'lower' },
    // CPU time (user + system) to the same moment: less sensitive to other load on the machine
    { key: 'cpuMs', label: 'CPU time to first multiaddr', unit: 'ms', better: 'lower' }
  ],
  targets: [
    { figure: 'ms', text: 'daemon without helia < 500 ms', met: (_ratio, value) => value == null ? undefined : value < 500 }
  ],
  params: () => ({}),
  async trial (side, _params, ctx) {
    const dataDir = await mkdtemp(join(tmpdir(), 'docpeer-bench-'))

    try {
      const args = [join(ROOT, 'bin/docpeer.js'), 'daemon', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--data-dir', dataDir]

      if (side === 'daemon --helia') {
        args.push('--helia')
      }

      const { ms, cpuMs, peakMiB } = await timeDaemon(args)
      ctx.memory('daemon', peakMiB)
      return { ms, cpuMs }
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  }
}

const federation: Workload = {
  id: 'w8',
  title: 'federation: 3 meshed servers, peers (10 per process) each given all servers; one document',
  sides: ['docpeer', 'anchor'],
  figures: [
    { key: 'connect', label: 'all peers on two servers', unit: 'ms', better: 'lower' },
    { key: 'join', label: 'all peers find the document', unit: 'ms', better: 'lower' },
    { key: 'converge', label: 'every peer writes once, until all see all', unit: 'ms', better: 'lower' },
    { key: 'reachPeers', label: 'a new document, 3 s later: other peers holding it unasked', unit: 'peers', better: 'lower' },
    { key: 'reachServers', label: 'a new document, 3 s later: servers holding it', unit: 'servers', better: 'lower' },
    { key: 'openOne', label: 'a peer opens that document (another process\'s)', unit: 'ms', better: 'lower' },
    { key: 'idLeak', label: 'then, 1 s later: other peers that know its id', unit: 'peers', better: 'lower' },
    { key: 'failover', label: 'a server SIGKILLed, then a change: until all see it', unit: 'ms', better: 'lower' },
    { key: 'dialById', label: 'dial by peer id alone (median of 5)', unit: 'ms', better: 'lower' },
    { key: 'provide', label: 'provider record announced (median of 5)', unit: 'ms', better: 'lower' },
    { key: 'firstProvider', label: 'lookup to first provider (median of 5)', unit: 'ms', better: 'lower' },
    { key: 'idleCpu', label: 'idle CPU of the whole network', unit: '% of a core', better: 'lower' },
    { key: 'quietCpu', label: 'idle CPU, from 35 s after the peers started', unit: '% of a core', better: 'lower' }
  ],
  targets: [
    { figure: 'reachPeers', text: 'docpeer: 0 peers', met: (_ratio, value) => value == null ? undefined : value === 0 },
    { figure: 'dialById', text: 'docpeer < 2000 ms', met: (_ratio, value) => value == null ? undefined : value < 2000 },
    { figure: 'firstProvider', text: 'docpeer < 2000 ms', met: (_ratio, value) => value == null ? undefined : value < 2000 }
  ],
  // BENCH_FED_PEERS=20 for the idle-CPU comparison of a 20-daemon network
  // quietAfterStartMs: idle CPU once more, past the start-up: a peer's discovery repeats its
  // announcement 10 s after it starts and its neighbours answer (src/config/discovery.ts), and in
  // the first window, 5 s after the writes, those announcements make most of the CPU and swing it
  // with the timing of the join (seventh session)
  params: smoke => ({ peers: smoke ? 6 : Number(process.env.BENCH_FED_PEERS ?? 50), perProcess: smoke ? 3 : 10, lookups: smoke ? 2 : 5, idleMs: smoke ? 1000 : 10_000, quietAfterStartMs: smoke ? 0 : 35_000 }),
  async trial (side, params, ctx) {
    const servers: BenchProcess[] = []
    const addresses: string[] = []
    const serverIds: string[] = []

    for (let i = 0; i < 3; i++) {
      const proc = ctx.spawn(`S${i + 1}`)
      const { address, peerId } = await proc.call('federation#server', side, [...addresses])
      servers.push(proc)
      addresses.push(address)
      serverIds.push(peerId ?? '')
    }

    const procs: BenchProcess[] = []
    const firsts: number[] = []

    for (let first = 0; first < params.peers; first += params.perProcess) {
      procs.push(ctx.spawn(`P${procs.length + 1}`))
      firsts.push(first)
    }

    const started = performance.now()
    const joined = await Promise.all(procs.map(async (proc, i) => proc.call('federation#peers', side, Math.min(params.perProcess, params.peers - firsts[i]), firsts[i], addresses, serverIds)))
    const connect = performance.now() - started

    // share policy (issue 13 point 3): a document a peer creates goes to the servers it chose, and
    // to no other peer, none of which asked for it
    const unasked = await procs[0].call('federation#createUnasked')
    await new Promise(resolve => setTimeout(resolve, 3_000))
    const reachPeers = (await Promise.all(procs.map(async (proc, i) => proc.call('federation#holders', unasked, i === 0)))).reduce((a: number, b: number) => a + b, 0)
    const reachServers = (await Promise.all(servers.map(async proc => proc.call('federation#holders', unasked, false)))).reduce((a: number, b: number) => a + b, 0)

    // who learns the id of a document one peer opens: its servers, not the strangers discovery
    // connected it to (they would look it up in turn, and could read it)
    const openOne = await procs[procs.length - 1].call('federation#findOne', unasked)
    await new Promise(resolve => setTimeout(resolve, 1_000))
    const idLeak = (await Promise.all(procs.map(async (proc, i) => proc.call('federation#heardOf', unasked, [...(i === 0 ? [0] : []), ...(i === procs.length - 1 ? [0] : [])])))).reduce((a: number, b: number) => a + b, 0)

    const url = await procs[0].call('federation#createDoc')
    const joinStart = performance.now()
    const everyone: Array<[BenchProcess, string]> = [...servers.map((proc, i): [BenchProcess, string] => [proc, `join-S${i + 1}`]), ...procs.map((proc, i): [BenchProcess, string] => [proc, `join-P${i + 1}`])]
    await profiled(ctx.phaseProfile, everyone, async () => Promise.all(procs.map(async proc => proc.call('federation#join', url))))
    const join = performance.now() - joinStart

    const convergeStart = performance.now()
    await Promise.all(procs.map(async (proc, i) => proc.call('federation#write', firsts[i], params.peers)))
    const converge = performance.now() - convergeStart

    const idleCpu = await networkCpu([...servers, ...procs], params.idleMs, ctx.phaseProfile)
    const quietCpu = await networkCpu([...servers, ...procs], params.idleMs, ctx.phaseProfile, { name: 'quiet', notBefore: started + params.quietAfterStartMs })

    const dials: number[] = []
    const provides: number[] = []
    const lookups: number[] = []
    const seeker = procs[0]
    const holder = procs[procs.length - 1]
    // before any dial by id: what the DHT and the keeper hold on their own (no mesh of peers)
    const connections: number[] = (await Promise.all(procs.map(async proc => proc.call('federation#connectionCounts')))).flat()

    for (let i = 0; i < params.lookups; i++) {
      const target = joined[joined.length - 1].peerIds[i % params.perProcess]
      dials.push(await seeker.call('federation#dialById', i % params.perProcess, target))
      const { key, ms } = await holder.call('federation#provide', (i + 1) % params.perProcess)
      provides.push(ms)
      lookups.push(await seeker.call('federation#firstProvider', (i + 2) % params.perProcess, key))
    }

    const killed = performance.now()
    await servers[0].kill()
    await procs[procs.length - 1].call('federation#writeAfter', 1)
    await Promise.all(procs.map(async proc => proc.call('federation#waitAfter', 1)))
    const failover = performance.now() - killed

    return {
      connect,
      join,
      converge,
      reachPeers,
      reachServers,
      openOne,
      idLeak,
      failover,
      dialById: median(dials),
      provide: median(provides),
      firstProvider: median(lookups),
      idleCpu,
      quietCpu,
      maxConnectionsPerPeer: connections.length === 0 ? NaN : Math.max(...connections)
    }
  }
}

/**
 * CPU time (user + system) of all the processes over `ms` of idling, as a percentage of one core.
 * The window opens `ms / 2` from now, and not before `notBefore` (a `performance.now()` time);
 * with --cpu-prof each process profiles it as `<name>-<n>`.
 */
async function networkCpu (procs: BenchProcess[], ms: number, profile?: string, window: { name?: string, notBefore?: number } = {}): Promise<number> {
  // let the last sync messages and the peers' first DHT self-queries settle
  await new Promise(resolve => setTimeout(resolve, Math.max(ms / 2, (window.notBefore ?? 0) - performance.now())))
  const total = (): number => procs.reduce((sum, proc) => sum + cpuTimeMs(proc.pid), 0)
  return profiled(profile, procs.map((proc, i) => [proc, `${window.name ?? 'idle'}-${i + 1}`]), async () => {
    const before = total()
    const start = performance.now()
    await new Promise(resolve => setTimeout(resolve, ms))
    return (total() - before) / (performance.now() - start) * 100
  })
}

/**
 * Runs one phase of a trial; with `--cpu-prof` (a `phaseProfile` prefix), each process of `procs`
 * profiles it into `PREFIX-NAME.cpuprofile` (written when the phase fails too).
 */
async function profiled<T> (prefix: string | undefined, procs: Array<[BenchProcess, string]>, phase: () => Promise<T>): Promise<T> {
  if (prefix == null) {
    return phase()
  }

  await Promise.all(procs.map(async ([proc]) => proc.call('profiler#start')))
  try {
    return await phase()
  } finally {
    await Promise.all(procs.map(async ([proc, name]) => proc.call('profiler#stop', `${prefix}-${name}.cpuprofile`)))
  }
}

/**
 * Spawns the daemon and times it to its first line that starts with '/' (a multiaddr). Reads its
 * peak RSS (VmHWM) from /proc, then stops it with SIGINT.
 */
async function timeDaemon (args: string[]): Promise<{ ms: number, cpuMs: number, peakMiB: number }> {
  const start = now()
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (data: Buffer) => { stderr += data.toString() })
  const exited = new Promise<number | null>(resolve => child.on('exit', code => { resolve(code) }))

  let cpuMs = NaN

  try {
    const ms = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (data: Buffer) => {
        stdout += data.toString()

        if (stdout.split('\n').some(line => line.startsWith('/'))) {
          const elapsed = now() - start
          cpuMs = cpuTimeMs(child.pid)
          resolve(elapsed)
        }
      })
      exited.then(code => {
        reject(new Error(`daemon exited (code ${code}) before printing a multiaddr: ${stderr.trim().split('\n').slice(-3).join(' | ')}`))
      }, reject)
    })

    const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '')
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status)
    return { ms, cpuMs, peakMiB: hwm == null ? NaN : Number(hwm[1]) / 1024 }
  } finally {
    child.kill('SIGINT')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
}

/**
 * User + system CPU time of a process so far, from /proc (Linux; NaN elsewhere). Clock ticks are
 * 10 ms on Linux.
 */
function cpuTimeMs (pid?: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return NaN
  }
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export const WORKLOADS: Workload[] = [docs, changes, large, dial, hub, transport, startup, federation]
