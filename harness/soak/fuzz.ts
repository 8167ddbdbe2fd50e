/**
 * Scenario 1: a hostile peer fuzzes docpeer's sync protocol while an honest peer edits a document
 * with the same target.
 *
 * The target is a `server`-role docpeer peer (the one exposed to strangers). Hostile libp2p nodes
 * open one sync stream per malformed input (see lib/fuzz-inputs.ts), a few in flight per
 * connection, and record how each stream ended. A slow lane holds streams open without finishing a
 * handshake (slowloris) and opens more streams than the per-connection limit at once.
 *
 * Pass: no uncaught error in the process, the target still answers, every input's stream ended
 * (none hung), every inbound sync stream the target accepted logged a line (the reason it was
 * refused), the heap after the run is within a bound of the heap before it, the target keeps no
 * state for the hostile peers afterwards, and the honest peer's document converges with no
 * disconnect.
 */
import { Uint8ArrayList } from 'uint8arraylist'
import { SYNC_PROTOCOL } from '../../src/sync/constants.ts'
import { settledHeap } from '../memory.ts'
import { bareNode, crashCounter, loopbackPeer, prng, quietRepoComplaints, sleep, waitFor } from '../peers.ts'
import { FAST_KINDS, InputGenerator, answerDialBack, encodeFrame, firstFrame, joinMessage } from './fuzz-inputs.ts'
import { capturingLogger } from './log-capture.ts'
import type { FuzzInput } from './fuzz-inputs.ts'
import type { Connection, Libp2p, Stream } from '@libp2p/interface'

export interface FuzzOptions {
  inputs: number
  seed?: number
  /** hostile connections, each with `perConnection` streams in flight */
  hostiles?: number
  perConnection?: number
  /** slowloris streams and over-limit bursts on the slow lane */
  slow?: number
  progress?(line: string): void
}

export type Outcome = 'reset' | 'error-reply' | 'closed' | 'hung' | 'open-failed' | 'handshake-failed'

export interface FuzzResult {
  seed: number
  inputs: number
  byKind: Record<string, number>
  outcomes: Record<Outcome, number>
  /** streams that did not end the way their input expects */
  unexpected: number
  unexpectedExamples: string[]
  slowStreams: number
  slowUnended: number
  crashes: number
  /** repo messages automerge-repo could not process (it logs them with console.log) */
  repoComplaints: number
  targetAlive: boolean
  honestConverged: boolean
  honestDisconnects: number
  honestChanges: number
  inboundStreamLoggers: number
  inboundStreamsThatLogged: number
  loggedErrors: number
  reasons: Record<string, number>
  /**
   * documents the target's Repo holds afterwards: automerge-repo keeps a handle for every document
   * id it is asked about (about 32 KiB each, see doc-flood.ts), which is most of the heap growth
   */
  targetHandlesAfter: number
  heapBefore: number
  heapMax: number
  heapAfter: number
  /** peers the target still syncs with or holds a stream of after the hostile peers left (1: the honest one) */
  targetActiveRemotesAfter: number
  /** entries left with no stream and no connection (a refused join used to leave one, fixed in 513e8bf) */
  targetIdleRemotesAfter: number
  targetStreamsAfter: number
  durationMs: number
}

const STREAM_TIMEOUT = 20_000

async function runInput (connection: Connection, hostileId: string, input: FuzzInput): Promise<Outcome> {
  let stream: Stream

  try {
    stream = await connection.newStream(SYNC_PROTOCOL, { signal: AbortSignal.timeout(STREAM_TIMEOUT), maxOutboundStreams: 10_000 })
  } catch {
    return 'open-failed'
  }

  const rx = new Uint8ArrayList()
  let onFrame: (() => void) | undefined
  let gotError = false
  const closed = new Promise<Outcome>(resolve => {
    if (stream.status !== 'open') {
      resolve('reset')
      return
    }

    stream.addEventListener('close', evt => { resolve(evt.error != null ? 'reset' : 'closed') }, { once: true })
  })

  stream.addEventListener('message', evt => {
    rx.append(evt.data)
    onFrame?.()

    if (!gotError && (firstFrame(rx) as any)?.type === 'error') {
      // a polite client closes after an error reply, so the target need not wait for it
      gotError = true
      stream.close().catch(() => {})
    }
  })

  let timer: ReturnType<typeof setTimeout> | undefined
  const hung = new Promise<Outcome>(resolve => { timer = setTimeout(() => { resolve('hung') }, STREAM_TIMEOUT) })

  try {
    if (input.handshake) {
      const replied = new Promise<void>(resolve => {
        onFrame = () => { if (firstFrame(rx) !== undefined) { resolve() } }
      })
      stream.send(encodeFrame(joinMessage(hostileId)))
      const first = await Promise.race([replied.then(() => 'reply' as const), closed, hung])

      if (first !== 'reply' || (firstFrame(rx) as any)?.type !== 'peer') {
        stream.abort(new Error('handshake failed'))
        return 'handshake-failed'
      }

      onFrame = undefined
      rx.consume(rx.byteLength)
    }

    if (input.first.byteLength > 0) {
      stream.send(input.first)
    }

    if (input.closeWrite) {
      stream.close().catch(() => {})
    }

    const outcome = await Promise.race([closed, hung])

    if (outcome === 'hung') {
      stream.abort(new Error('hung'))
      return 'hung'
    }

    return gotError ? 'error-reply' : outcome
  } catch {
    return 'reset'
  } finally {
    clearTimeout(timer)
  }
}

function isExpected (input: FuzzInput, outcome: Outcome): boolean {
  switch (input.expect) {
    // a handshake input's stream may be replaced by the next one of the same peer before its reply
    case 'reset': return outcome === 'reset' || (input.handshake && outcome === 'handshake-failed')
    case 'refused': return outcome === 'reset' || outcome === 'error-reply'
    default: return outcome !== 'hung' && outcome !== 'open-failed'
  }
}

/**
 * The slow lane: `count` slowloris streams (an unfinished varint, then silence) and one burst of
 * twice the per-connection stream limit, all held until the target gives up on them.
 */
async function slowLane (connection: Connection, count: number): Promise<{ streams: number, unended: number }> {
  const ended: Array<Promise<boolean>> = []

  const hold = async (bytes?: Uint8Array): Promise<void> => {
    try {
      const stream = await connection.newStream(SYNC_PROTOCOL, { signal: AbortSignal.timeout(STREAM_TIMEOUT), maxOutboundStreams: 10_000 })
      const done = new Promise<boolean>(resolve => {
        if (stream.status !== 'open') {
          // reset before we could listen: over the limit
          resolve(true)
          return
        }

        const timer = setTimeout(() => { stream.abort(new Error('hung')); resolve(false) }, STREAM_TIMEOUT)
        stream.addEventListener('close', () => { clearTimeout(timer); resolve(true) }, { once: true })
      })
      ended.push(done)

      if (bytes != null) {
        stream.send(bytes)
      }
    } catch {
      // refused at negotiation: over the limit, which is what the burst is for
      ended.push(Promise.resolve(true))
    }
  }

  const slowloris = Array.from({ length: Math.max(1, count - 1) }, async (_, i) => hold(Uint8Array.of(0x80 | i)))
  await Promise.all(slowloris)
  // over the limit: what the target accepts waits for the handshake timeout, the rest is reset
  await Promise.all(Array.from({ length: 8 }, async () => hold()))

  const results = await Promise.all(ended)
  return { streams: results.length, unended: results.filter(r => !r).length }
}

export async function runFuzz (options: FuzzOptions): Promise<FuzzResult> {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31)
  const hostiles = options.hostiles ?? 3
  const perConnection = options.perConnection ?? 3
  const slow = options.slow ?? 4
  const progress = options.progress ?? (() => {})
  const rand = prng(seed)
  const crashes = crashCounter()
  const capture = capturingLogger()
  const started = Date.now()

  const complaints = quietRepoComplaints()

  const target = await loopbackPeer({ role: 'server', libp2p: { logger: capture.logger } })
  const nodes: Libp2p[] = []
  let honestPeer: Awaited<ReturnType<typeof loopbackPeer>> | undefined

  try {
    const targetAddr = target.libp2p.getMultiaddrs()[0]
    const targetId = target.peerId.toString()
    const maxMessageSize = 64 * 1024 * 1024

    // the honest peer first, so the baseline heap includes its sync
    const honest = await loopbackPeer()
    honestPeer = honest
    let honestDisconnects = 0
    honest.syncAdapter?.on('peer-disconnected', () => { honestDisconnects++ })
    await honest.syncWith(targetAddr)
    const handle = honest.repo!.create<{ n: number, log: number[] }>({ n: 0, log: [] })
    const editing = { on: true, changes: 0 }
    const edit = (): void => {
      handle.change(d => {
        d.n++
        d.log.push(editing.changes)
      })
      editing.changes++
    }
    const editor = (async () => {
      while (editing.on) {
        edit()
        await sleep(50)
      }
    })()

    for (let i = 0; i < hostiles + 1; i++) {
      const node = await bareNode()
      await answerDialBack(node)
      nodes.push(node)
    }

    const connections = await Promise.all(nodes.map(async node => node.dial(targetAddr)))
    const heapBefore = await settledHeap()
    let heapMax = heapBefore

    const byKind: Record<string, number> = Object.fromEntries(FAST_KINDS.map(k => [k, 0]))
    const outcomes: Record<Outcome, number> = { reset: 0, 'error-reply': 0, closed: 0, hung: 0, 'open-failed': 0, 'handshake-failed': 0 }
    const unexpectedExamples: string[] = []
    let unexpected = 0
    let issued = 0
    let done = 0
    const checkpoint = Math.max(1, Math.floor(options.inputs / 10))
    let nextCheckpoint = checkpoint

    const slowResult = slowLane(connections[hostiles], slow)

    const worker = async (connection: Connection, generator: InputGenerator, hostileId: string): Promise<void> => {
      while (issued < options.inputs) {
        issued++
        const input = generator.next()
        byKind[input.kind]++
        const outcome = await runInput(connection, hostileId, input)
        outcomes[outcome]++
        done++

        if (!isExpected(input, outcome)) {
          unexpected++

          if (unexpectedExamples.length < 10) {
            unexpectedExamples.push(`${input.kind}: ${outcome} (${Buffer.from(input.first.subarray(0, 24)).toString('hex')})`)
          }
        }

        if (done >= nextCheckpoint) {
          nextCheckpoint += checkpoint
          const heap = await settledHeap()
          heapMax = Math.max(heapMax, heap)
          progress(`fuzz: ${done}/${options.inputs} inputs, heap ${(heap / 2 ** 20).toFixed(1)} MiB, ${JSON.stringify(outcomes)}`)
        }
      }
    }

    const workers: Array<Promise<void>> = []

    for (let h = 0; h < hostiles; h++) {
      const hostileId = nodes[h].peerId.toString()
      const generator = new InputGenerator(prng(Math.floor(rand() * 2 ** 31)), {
        hostileId,
        targetId,
        maxMessageSize,
        liveDocumentId: handle.documentId
      })

      for (let w = 0; w < perConnection; w++) {
        workers.push(worker(connections[h], generator, hostileId))
      }
    }

    await Promise.all(workers)
    const slowDone = await slowResult

    editing.on = false
    await editor
    const honestChanges = editing.changes

    // the honest document converges on the target
    let honestConverged = false

    try {
      const targetHandle = await target.repo!.find<{ n: number }>(handle.url)
      await waitFor(() => JSON.stringify(targetHandle.heads()) === JSON.stringify(handle.heads()), 30_000, 'the honest document to converge')
      honestConverged = targetHandle.doc().n === honestChanges
    } catch (err: any) {
      progress(`fuzz: honest document did not converge - ${err.message}`)
    }

    // hostile peers gone: the target must forget them
    await Promise.all(nodes.map(async node => node.stop()))
    nodes.length = 0
    const adapter = target.syncAdapter as any
    // a remote with a stream (or on its way up) is active; the table should hold no other kind
    const isActive = (r: any): boolean => r.state === 'up' || r.inbound != null || r.outbound != null
    const active = (): number => [...(adapter.remotes?.values() ?? [])].filter(isActive).length
    await waitFor(() => active() <= 1, 10_000, 'the target to forget the hostile peers').catch(() => {})

    const targetAlive = await honest.libp2p.services.ping.ping(target.peerId).then(() => true, () => false)
    const heapAfter = await settledHeap()
    const targetStreamsAfter = target.libp2p.getConnections().reduce((n, c) => n + c.streams.length, 0)

    return {
      seed,
      inputs: done,
      byKind,
      outcomes,
      unexpected,
      unexpectedExamples,
      slowStreams: slowDone.streams,
      slowUnended: slowDone.unended,
      crashes: crashes.count(),
      repoComplaints: complaints.count(),
      targetAlive,
      honestConverged,
      honestDisconnects,
      honestChanges,
      inboundStreamLoggers: capture.counts.inboundStreamLoggers,
      inboundStreamsThatLogged: capture.counts.inboundStreamsThatLogged,
      loggedErrors: capture.counts.errors,
      reasons: Object.fromEntries(capture.counts.reasons),
      targetHandlesAfter: Object.keys(target.repo!.handles).length,
      heapBefore,
      heapMax: Math.max(heapMax, heapAfter),
      heapAfter,
      targetActiveRemotesAfter: active(),
      targetIdleRemotesAfter: (adapter.remotes?.size ?? 0) - active(),
      targetStreamsAfter,
      durationMs: Date.now() - started
    }
  } finally {
    complaints.restore()
    crashes.stop()
    await Promise.all(nodes.map(async node => node.stop()))
    await honestPeer?.stop()
    await target.stop()
  }
}
