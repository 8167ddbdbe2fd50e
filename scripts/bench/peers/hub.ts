/**
 * Workload 5: many spoke peers in one process, all connected to one hub, syncing one document.
 */
import { createSyncPeer, findDoc, findRetries, waitForPeers } from '../lib/sync-peer.ts'
import { current } from './sync.ts'
import type { SyncPeer, SyncSide } from '../lib/sync-peer.ts'
import type { AutomergeUrl, DocHandle } from '@automerge/automerge-repo'

interface SharedDoc {
  title: string
  writers: Record<string, number>
}

const spokes: SyncPeer[] = []
const handles: Array<DocHandle<SharedDoc>> = []
let dialRetries = 0

/**
 * How docpeer's spokes connect: as clients of a server do (`syncWith()`, the default: the hub is the
 * peer they chose), or with a bare `dial()` (`BENCH_SPOKES_CONNECT=dial`, the method until
 * 2026-12-07: the hub is then one connected peer among those discovery dials, and no peer is one a
 * spoke chose). The anchor's spokes add a WebSocket client adapter either way.
 */
const bareDial = process.env.BENCH_SPOKES_CONNECT === 'dial'

/**
 * Connects a spoke, trying again a few times: libp2p accepts at most 10 incoming connections in
 * their handshake at once (`maxIncomingPendingConnections`) and resets the rest, so 50 spokes
 * dialing together need a second try, as real clients would make. Retries are counted.
 */
async function connectSpoke (spoke: SyncPeer, hubAddress: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      if (spoke.syncWith != null && !bareDial) {
        await spoke.syncWith(hubAddress)
      } else {
        await spoke.connect(hubAddress)
      }

      await waitForPeers(spoke.repo, 1)
      return
    } catch (err) {
      if (attempt >= 20) {
        throw err
      }

      dialRetries++
      await new Promise(resolve => setTimeout(resolve, 50 * (attempt + 1) * (0.5 + Math.random())))
    }
  }
}

/**
 * Creates `count` spokes, not connected yet.
 */
export async function create (side: SyncSide, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    spokes.push(await createSyncPeer(side))
  }
}

/**
 * Connects every spoke to the hub at once. Returns the time until every spoke had the hub as a
 * peer, in ms.
 */
export async function connect (hubAddress: string): Promise<{ ms: number, dialRetries: number }> {
  const started = performance.now()
  await Promise.all(spokes.map(async spoke => { await connectSpoke(spoke, hubAddress) }))
  return { ms: performance.now() - started, dialRetries }
}

/**
 * On the hub: creates the shared document. (Created on a spoke instead, automerge-repo 2.5.6 races:
 * the hub asks the other spokes for the document it is receiving, they answer unavailable, and
 * their later `find()` rejects.)
 */
export function createDoc (): AutomergeUrl {
  return current().repo.create<SharedDoc>({ title: 'shared', writers: {} }).url
}

/**
 * Every spoke finds the document through the hub. Returns the time that took, in ms.
 */
export async function join (url: AutomergeUrl): Promise<{ ms: number, retries: number }> {
  const started = performance.now()
  await Promise.all(spokes.map(async (spoke, i) => {
    handles[i] = await findDoc<SharedDoc>(spoke.repo, url)
  }))
  return { ms: performance.now() - started, retries: findRetries }
}

/**
 * Every spoke writes its own key at once; resolves when every spoke sees every key. Returns the
 * time that took, in ms.
 */
export async function converge (): Promise<number> {
  const count = spokes.length
  const started = performance.now()
  const done = handles.map(async handle => new Promise<void>(resolve => {
    const check = (): void => {
      if (Object.keys(handle.doc().writers).length === count) {
        handle.off('change', check)
        resolve()
      }
    }

    handle.on('change', check)
  }))

  handles.forEach((handle, i) => {
    handle.change(doc => { doc.writers[`spoke-${i}`] = i })
  })

  await Promise.all(done)
  return performance.now() - started
}

/**
 * The most connections any spoke holds (NaN for the anchor): a spoke needs one, to the hub.
 */
export function maxConnections (): number {
  const counts = spokes.map(spoke => spoke.connections?.()).filter((n): n is number => n != null)
  return counts.length === 0 ? NaN : Math.max(...counts)
}
