/**
 * The NAT lab's scenarios: two daemons in home networks behind NATs, one public server that holds
 * no documents (`serveDocs: false`) and coturn on the public segment. Each run starts fresh daemon
 * processes, waits for A's relay reservation, has B dial A's `/p2p-circuit/webrtc` address, and
 * measures the time to a WebRTC connection (not limited: direct, or through TURN where a NAT is hard), then syncs a document and measures the
 * latency of one change (A's change to B seeing it, same machine clock) and which connection carried
 * it. Used by `npm run lab` (20 runs) and test/lab-nat.node.ts (1 run).
 */
import { fileURLToPath } from 'node:url'
import { ChildPeer } from '../soak/child-peer.ts'
import { startCoturn } from './coturn.ts'
import { Lab, PUBLIC_IP } from './net.ts'
import { ensureLabPrerequisites } from './provision.ts'
import type { Coturn } from './coturn.ts'
import type { LabPeerOptions } from './lab-peer.ts'
import type { NatType } from './net.ts'

const LAB_PEER = fileURLToPath(new URL('./lab-peer.ts', import.meta.url))

/** the lab server's port: not the CLI's default (4101), so a CLI server can run beside it */
export const SERVER_PORT = 4201

export type IceChoice = 'none' | 'stun' | 'stun+turn'

export interface NatPairInit {
  /** namespace prefix; the lab adds its own suffixes */
  prefix: string
  natA: NatType
  natB: NatType
  runs: number
  ice: IceChoice
  /** per run, ms */
  runTimeout?: number
  /** for progress lines */
  log?(line: string): void
}

export interface RunResult {
  ok: boolean
  /** ms from B's dial to a direct connection */
  directMs?: number
  /** ms from A's change to B seeing it */
  latencyMs?: number
  /** remote address of the connection B synced over */
  path?: string
  /** A's `peer.reachability()` after the sync: status, relays with its reservation, and the kind of its connection to B */
  reachability?: { status: string, reservations: string[], kindToB?: string }
  error?: string
}

export interface NatPairResult {
  name: string
  runs: RunResult[]
  /** the coturn log's allocation count: > 0 when TURN relayed */
  turnAllocations: number
}

export function scenarioName (init: Pick<NatPairInit, 'natA' | 'natB' | 'ice'>): string {
  return `${init.natA} NAT <-> ${init.natB} NAT, ${init.ice}`
}

export async function startLabPeer (lab: Lab, ns: string, options: LabPeerOptions, timeout = 60_000): Promise<ChildPeer> {
  return ChildPeer.start(options, timeout, o => lab.spawn(ns, process.execPath, [LAB_PEER], {
    env: { ...process.env, LAB_PEER: JSON.stringify(o) },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc']
  }))
}

async function poll<T> (what: string, timeout: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeout

  while (Date.now() < deadline) {
    const value = await probe()

    if (value != null) {
      return value
    }

    await new Promise(resolve => setTimeout(resolve, 50))
  }

  throw new Error(`${what}: not within ${timeout} ms`)
}

async function withTimeout<T> (ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((resolve, reject) => { timer = setTimeout(() => { reject(new Error(`${what} timed out after ${ms} ms`)) }, ms) })

  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}

function iceServersFor (ice: IceChoice, coturn: Coturn): LabPeerOptions['iceServers'] {
  if (ice === 'none') {
    return []
  }

  return ice === 'stun' ? coturn.iceServers.slice(0, 1) : coturn.iceServers
}

/**
 * A lab with two homes, coturn and a document-less server; `work` runs with them, then everything
 * is torn down (also on failure).
 */
export async function withNatLab<T> (init: Pick<NatPairInit, 'prefix' | 'natA' | 'natB'>, work: (lab: Lab, coturn: Coturn, server: ChildPeer, serverAddr: string) => Promise<T>): Promise<T> {
  ensureLabPrerequisites()
  const lab = await Lab.create({ prefix: init.prefix, homes: [{ name: 'a', nat: init.natA }, { name: 'b', nat: init.natB }] })

  try {
    const coturn = await startCoturn(lab)
    const server = await startLabPeer(lab, lab.pub, {
      role: 'server',
      // WebSocket for browsers in the lab
      listen: [`/ip4/${PUBLIC_IP}/tcp/${SERVER_PORT}`, `/ip4/${PUBLIC_IP}/tcp/${SERVER_PORT + 1}/ws`],
      serveDocs: false
    })
    const serverAddr = `/ip4/${PUBLIC_IP}/tcp/${SERVER_PORT}/p2p/${server.peerId}`

    try {
      return await work(lab, coturn, server, serverAddr)
    } finally {
      await server.stop()
    }
  } finally {
    await lab.close()
  }
}

async function onePairRun (lab: Lab, serverAddr: string, iceServers: LabPeerOptions['iceServers']): Promise<RunResult> {
  const peerOptions: LabPeerOptions = { bootstrap: [serverAddr], iceServers, dialDiscovered: false }
  const [a, b] = await Promise.all([
    startLabPeer(lab, lab.home('a').host, peerOptions),
    startLabPeer(lab, lab.home('b').host, peerOptions)
  ])

  try {
    const webrtcAddr = await poll('A\'s /p2p-circuit/webrtc address', 20_000, async () => {
      const { addrs } = await a.request('addrs')
      return (addrs as string[]).find(ma => ma.includes('/p2p-circuit/webrtc'))
    })
    const dialed = await b.request('dial', { addr: webrtcAddr, timeout: 20_000 }, 25_000)
    const { url } = await a.request('create', { text: 'v0' })
    await b.request('wait', { url, text: 'v0', timeout: 20_000 }, 25_000)
    const seen = b.request('wait', { url, text: 'v1', timeout: 20_000 }, 25_000)
    const changed = await a.request('change', { url, text: 'v1' })
    const { at, path } = await seen
    const carrier = (path as Array<{ peer: string, addr: string, limited: boolean }>).find(c => c.peer === a.peerId && !c.limited)
    const { reachability } = await a.request('reachability')

    return {
      reachability: {
        status: reachability.status,
        reservations: reachability.reservations,
        kindToB: reachability.connections.find((c: { peer: string, limited: boolean }) => c.peer === b.peerId && !c.limited)?.kind
      },
      ok: carrier != null,
      directMs: dialed.ms,
      latencyMs: at - changed.at,
      path: carrier?.addr,
      error: carrier == null ? `synced over ${JSON.stringify(path)}` : undefined
    }
  } finally {
    await Promise.all([a.stop(), b.stop()])
  }
}

/**
 * Runs `runs` fresh daemon pairs through one lab.
 */
export async function runNatPair (init: NatPairInit): Promise<NatPairResult> {
  const name = scenarioName(init)

  return withNatLab(init, async (lab, coturn, server, serverAddr) => {
    const runs: RunResult[] = []

    for (let i = 0; i < init.runs; i++) {
      const result = await withTimeout(init.runTimeout ?? 90_000, `run ${i + 1}`, onePairRun(lab, serverAddr, iceServersFor(init.ice, coturn)))
        .catch((err: Error): RunResult => ({ ok: false, error: err.message }))
      runs.push(result)
      init.log?.(`${name}: run ${i + 1}/${init.runs} ${result.ok ? 'ok' : 'FAILED'} direct ${result.directMs ?? '-'} ms, change ${result.latencyMs ?? '-'} ms${result.error == null ? '' : ` (${result.error})`}`)
    }

    return { name, runs, turnAllocations: (coturn.log().match(/ALLOCATE processed, success/g) ?? []).length }
  })
}

export function median (values: number[]): number | undefined {
  if (values.length === 0) {
    return undefined
  }

  const sorted = [...values].sort((x, y) => x - y)
  return sorted[Math.floor(sorted.length / 2)]
}

/**
 * One summary line of a scenario.
 */
export function summary (result: NatPairResult): string {
  const ok = result.runs.filter(r => r.ok)
  const direct = ok.map(r => r.directMs ?? 0)
  const latency = ok.map(r => r.latencyMs ?? 0)
  const fmt = (v: number[]): string => v.length === 0 ? '-' : `median ${median(v)} ms (min ${Math.min(...v)}, max ${Math.max(...v)})`
  const paths = [...new Set(ok.map(r => r.path?.includes('/webrtc') === true ? 'WebRTC' : (r.path ?? '?')))]
  return `${result.name}: ${ok.length}/${result.runs.length} synced on a WebRTC connection (not limited); dial to WebRTC ${fmt(direct)}; change latency ${fmt(latency)}; path ${paths.join(', ') || '-'}; TURN allocations ${result.turnAllocations}`
}

/**
 * Two daemons bootstrapped to the same server, nobody told about the other: pubsub peer discovery
 * through the server and the discovery dialer must give them a direct connection. Resolves with the
 * ms from B's start to it, and its address.
 */
export async function discoverDirect (lab: Lab, serverAddr: string, iceServers: LabPeerOptions['iceServers'], timeout = 30_000): Promise<{ ms: number, addr: string }> {
  const peerOptions: LabPeerOptions = { bootstrap: [serverAddr], iceServers }
  const a = await startLabPeer(lab, lab.home('a').host, peerOptions)
  const start = Date.now()
  const b = await startLabPeer(lab, lab.home('b').host, peerOptions)

  try {
    const addr = await poll('a direct connection between discovered daemons', timeout, async () => {
      const { connections } = await b.request('connections')
      return (connections as Array<{ peer: string, addr: string, limited: boolean }>).find(c => c.peer === a.peerId && !c.limited)?.addr
    })
    return { ms: Date.now() - start, addr }
  } finally {
    await Promise.all([a.stop(), b.stop()])
  }
}
