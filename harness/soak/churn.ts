/**
 * Scenario 4: churn. Two peers connect, sync a change and disconnect, over and over, alternating
 * who dials. Both have a per-host inbound connection rate limit (`inboundConnectionThreshold`) set
 * for the churn rate; dials the limiter refuses are counted and retried after a pause.
 *
 * Leak checks, on both peers, once everything has settled after the last cycle compared with a
 * baseline taken after a warm-up: open connections and streams, the adapter's per-peer and
 * per-stream state, the Repo's peers, event listeners on the libp2p node, the adapter and the
 * Repo's network subsystem, and the heap after garbage collection.
 */
import { settledHeap } from '../memory.ts'
import { crashCounter, loopbackPeer, sleep, waitFor } from '../peers.ts'
import type { Docpeer } from '../../src/index.ts'

export interface ChurnOptions {
  cycles: number
  warmup?: number
  /** inbound connections per second per host allowed on both peers */
  inboundConnectionThreshold?: number
  progress?(line: string): void
}

export interface Gauges {
  connections: number
  streams: number
  adapterRemotes: number
  adapterStreams: number
  repoPeers: number
  libp2pListeners: number
  adapterListeners: number
  networkListeners: number
}

export interface ChurnResult {
  cycles: number
  inboundConnectionThreshold: number
  /** dials refused (rate limit or otherwise) and retried */
  dialRetries: number
  /** cycles whose change did not reach the other side */
  lostChanges: number
  crashes: number
  baseline: { a: Gauges, b: Gauges, heap: number }
  after: { a: Gauges, b: Gauges, heap: number }
  /** gauges that grew from the baseline, by name */
  leaks: string[]
  heapGrowth: number
  durationMs: number
}

const LIBP2P_EVENTS = ['connection:open', 'connection:close', 'peer:connect', 'peer:disconnect', 'peer:identify', 'peer:update', 'self:peer:update', 'connection:prune'] as const

function gauges (peer: Docpeer): Gauges {
  const adapter = peer.syncAdapter as any
  const network = peer.repo!.networkSubsystem as any
  const connections = peer.libp2p.getConnections()

  return {
    connections: connections.length,
    streams: connections.reduce((n, c) => n + c.streams.length, 0),
    adapterRemotes: adapter.remotes.size,
    adapterStreams: adapter.session?.streams.size ?? 0,
    repoPeers: peer.repo!.peers.length,
    libp2pListeners: LIBP2P_EVENTS.reduce((n, e) => n + (peer.libp2p as any).listenerCount(e), 0),
    adapterListeners: adapter.eventNames().reduce((n: number, e: string) => n + adapter.listenerCount(e), 0),
    networkListeners: network.eventNames().reduce((n: number, e: string) => n + network.listenerCount(e), 0)
  }
}

export async function runChurn (options: ChurnOptions): Promise<ChurnResult> {
  const progress = options.progress ?? (() => {})
  const warmup = options.warmup ?? Math.min(20, Math.max(2, Math.floor(options.cycles / 10)))
  const threshold = options.inboundConnectionThreshold ?? 100
  const crashes = crashCounter()
  const started = Date.now()
  // no DHT: its queries (the announcement of a's document to the server b) redial a peer the
  // scenario has just hung up on, and the scenario counts connections
  const a = await loopbackPeer({ inboundConnectionThreshold: threshold, dht: false })
  const b = await loopbackPeer({ role: 'server', inboundConnectionThreshold: threshold, dht: false })
  let dialRetries = 0
  let lostChanges = 0

  try {
    const handleA = a.repo!.create<{ n: number }>({ n: -1 })
    await a.syncWith(b.libp2p.getMultiaddrs()[0])
    const handleB = await b.repo!.find<{ n: number }>(handleA.url)
    await a.libp2p.hangUp(b.peerId)

    const settle = async (): Promise<void> => {
      await waitFor(() => a.libp2p.getConnections().length === 0 && b.libp2p.getConnections().length === 0 &&
        a.repo!.peers.length === 0 && b.repo!.peers.length === 0, 10_000, 'both sides to see the disconnect', 5)
    }

    const cycle = async (i: number): Promise<void> => {
      const [dialer, dialed] = i % 2 === 0 ? [a, b] : [b, a]

      for (let attempt = 0; ; attempt++) {
        try {
          await dialer.syncWith(dialed.libp2p.getMultiaddrs()[0], { signal: AbortSignal.timeout(10_000) })
          break
        } catch (err) {
          if (attempt >= 5) {
            throw err
          }

          dialRetries++
          await dialer.libp2p.hangUp(dialed.peerId).catch(() => {})
          await sleep(1_000)
        }
      }

      // each side's sync must come up too, not only the dialer's
      await waitFor(() => a.repo!.peers.length === 1 && b.repo!.peers.length === 1, 10_000, 'both Repos to see the peer', 5)
      handleA.change(d => { d.n = i })

      try {
        await waitFor(() => handleB.doc().n === i, 10_000, `change ${i} to arrive`, 5)
      } catch {
        lostChanges++
      }

      await dialer.libp2p.hangUp(dialed.peerId)
      await settle()
    }

    for (let i = 0; i < warmup; i++) {
      await cycle(i)
    }

    const baseline = { a: gauges(a), b: gauges(b), heap: await settledHeap() }
    const report = Math.max(1, Math.floor(options.cycles / 10))

    for (let i = warmup; i < warmup + options.cycles; i++) {
      await cycle(i)

      if ((i - warmup + 1) % report === 0) {
        progress(`churn: ${i - warmup + 1}/${options.cycles} cycles, ${dialRetries} retried dials`)
      }
    }

    await settle()
    const after = { a: gauges(a), b: gauges(b), heap: await settledHeap() }
    const leaks: string[] = []

    for (const side of ['a', 'b'] as const) {
      for (const [key, value] of Object.entries(after[side])) {
        if (value > baseline[side][key as keyof Gauges]) {
          leaks.push(`${side}.${key}: ${baseline[side][key as keyof Gauges]} -> ${value}`)
        }
      }
    }

    return {
      cycles: options.cycles,
      inboundConnectionThreshold: threshold,
      dialRetries,
      lostChanges,
      crashes: crashes.count(),
      baseline,
      after,
      leaks,
      heapGrowth: after.heap - baseline.heap,
      durationMs: Date.now() - started
    }
  } finally {
    crashes.stop()
    await a.stop()
    await b.stop()
  }
}
