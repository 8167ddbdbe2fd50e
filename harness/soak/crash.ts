/**
 * Scenario 3: crash and restart. A daemon with on-disk storage (a child process) is killed with
 * SIGKILL at random points while a writer peer streams changes to one document. Every round:
 *
 * - the daemon restarts offline (dialing nobody) and loads the document from its data directory:
 * it must load, and hold an unbroken prefix of the writer's changes (nothing torn or corrupt);
 * - it stops cleanly and restarts with the writer in its `bootstrap` list (docpeer tags bootstrap
 * peers keep-alive in the peer store of the data directory, so libp2p dials them at start and
 * redials with backoff when the connection drops): it must reconnect by itself, with nothing told
 * to either side;
 * - the writer keeps writing; the daemon is killed after a random delay.
 *
 * After the last round the daemon restarts once more, the writer stops, and the daemon must reach
 * exactly the writer's list: every change, in order, none twice.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loopbackPeer, prng, sleep, waitFor } from '../peers.ts'
import { ChildPeer } from './child-peer.ts'

export interface CrashOptions {
  rounds: number
  seed?: number
  /** ms between two changes of the writer */
  writeInterval?: number
  progress?(line: string): void
}

export interface CrashResult {
  seed: number
  rounds: number
  kills: number
  /** exits we did not cause */
  crashes: number
  changesWritten: number
  changesOnDaemon: number
  lostChanges: number
  /** rounds in which the document on disk did not load, or was not a prefix of the writer's list */
  corruptLoads: number
  /** rounds in which the daemon was killed before it first wrote the document to disk */
  notOnDisk: number
  /** changes found on disk after each kill, before the daemon reconnected */
  persistedAfterKill: number[]
  /** ms from spawning the daemon process to its sync with the writer being up (process start included) */
  reconnectMs: number[]
  reconnectFailures: number
  durationMs: number
}

interface ItemsDoc {
  items: number[]
}

/**
 * Files automerge-repo's NodeFS storage holds for a document (`<dataDir>/automerge/<2>/<rest>/...`).
 */
async function storedFiles (dataDir: string, documentId: string): Promise<number> {
  try {
    const entries = await readdir(join(dataDir, 'automerge', documentId.slice(0, 2), documentId.slice(2)), { recursive: true, withFileTypes: true })
    return entries.filter(e => e.isFile()).length
  } catch {
    return 0
  }
}

function isPrefix (items: unknown, written: number): boolean {
  return Array.isArray(items) && items.length <= written && items.every((v, i) => v === i)
}

export async function runCrash (options: CrashOptions): Promise<CrashResult> {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31)
  const rand = prng(seed)
  const progress = options.progress ?? (() => {})
  const writeInterval = options.writeInterval ?? 10
  const started = Date.now()
  const dataDir = await mkdtemp(join(tmpdir(), 'docpeer-crash-'))
  const writer = await loopbackPeer()
  const handle = writer.repo!.create<ItemsDoc>({ items: [] })
  const writerAddr = writer.libp2p.getMultiaddrs()[0].toString()
  const result: CrashResult = {
    seed,
    rounds: options.rounds,
    kills: 0,
    crashes: 0,
    changesWritten: 0,
    changesOnDaemon: 0,
    lostChanges: 0,
    corruptLoads: 0,
    notOnDisk: 0,
    persistedAfterKill: [],
    reconnectMs: [],
    reconnectFailures: 0,
    durationMs: 0
  }

  const writing = { on: true, written: 0 }
  const write = (): void => {
    handle.change(d => { d.items.push(writing.written) })
    writing.written++
  }
  const writerLoop = (async () => {
    while (writing.on) {
      write()
      await sleep(writeInterval)
    }
  })()

  let daemon: ChildPeer | undefined
  const expectExit = new WeakSet<ChildPeer>()
  const watch = (peer: ChildPeer): void => {
    peer.exited.then(exit => {
      if (!expectExit.has(peer)) {
        result.crashes++
        progress(`crash: daemon exited by itself (${exit}): ${peer.stderr}`)
      }
    }, () => {})
  }

  const startOnline = async (): Promise<ChildPeer> => {
    const t0 = Date.now()
    const peer = await ChildPeer.start({ dataDir, bootstrap: [writerAddr] })
    watch(peer)
    // the daemon is the writer's backup: the share policy offers documents only to peers a peer
    // chose (src/access/), and the writer did not dial this one
    writer.access.choose(peer.peerId)

    try {
      await waitFor(() => writer.syncAdapter!.peers.includes(peer.peerId as any), 30_000, 'the daemon to reconnect')
      result.reconnectMs.push(Date.now() - t0)
    } catch {
      result.reconnectFailures++
    }

    return peer
  }

  try {
    for (let round = 0; round < options.rounds; round++) {
      daemon = await startOnline()
      await sleep(200 + Math.floor(rand() * 1800))
      expectExit.add(daemon)
      daemon.kill('SIGKILL')
      await daemon.exited
      result.kills++
      const killedId = daemon.peerId
      // the writer notices (the kernel resets the TCP connection of a killed process)
      await waitFor(() => !writer.syncAdapter!.peers.includes(killedId as any), 30_000, 'the writer to notice the kill')

      // what survived the kill on disk
      const offline = await ChildPeer.start({ dataDir, offline: true })
      watch(offline)
      const reply = await offline.request('doc', { url: handle.url, timeout: 15_000 }).catch(() => ({ doc: null }))
      const items = (reply.doc as ItemsDoc | null)?.items
      const files = await storedFiles(dataDir, handle.documentId)

      if (items == null && files === 0) {
        // killed before the document was first written to disk: nothing to load, nothing torn
        result.notOnDisk++
      } else if (!isPrefix(items, writing.written)) {
        result.corruptLoads++
        progress(`crash: round ${round}: ${files} stored chunks did not load as a prefix of the writer's list (${JSON.stringify(items)?.slice(0, 80)})`)
      }

      result.persistedAfterKill.push(items?.length ?? 0)
      expectExit.add(offline)
      await offline.stop()
      progress(`crash: round ${round + 1}/${options.rounds}: killed, ${items?.length ?? 0}/${writing.written} changes on disk, reconnect ${result.reconnectMs.at(-1) ?? '-'} ms`)
    }

    // final: back online, the writer stops, everything must arrive
    daemon = await startOnline()
    writing.on = false
    await writerLoop
    const written = writing.written
    result.changesWritten = written
    const want = JSON.stringify(handle.doc().items)
    let last: number[] = []

    await waitFor(async () => {
      const reply = await daemon!.request('doc', { url: handle.url }).catch(() => ({ doc: null }))
      last = (reply.doc as ItemsDoc | null)?.items ?? []
      return JSON.stringify(last) === want
    }, 60_000, 'the daemon to converge', 250).catch(() => {})

    result.changesOnDaemon = new Set(last).size
    result.lostChanges = written - result.changesOnDaemon

    if (!isPrefix(last, written)) {
      result.corruptLoads++
    }

    expectExit.add(daemon)
    await daemon.stop()
  } finally {
    writing.on = false
    await writerLoop

    if (daemon != null) {
      expectExit.add(daemon)
      daemon.kill('SIGKILL')
    }

    await writer.stop()
    await rm(dataDir, { recursive: true, force: true })
  }

  result.durationMs = Date.now() - started
  return result
}
