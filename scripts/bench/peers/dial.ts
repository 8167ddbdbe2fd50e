/**
 * Workload 4: from dial to `peer-candidate` on both sides. A keeps one listening peer; B makes a
 * fresh peer for every dial (not timed), so every dial is a first contact.
 */
import { now } from '../lib/stats.ts'
import { createSyncPeer, waitForPeers } from '../lib/sync-peer.ts'
import { current } from './sync.ts'
import type { SyncPeer, SyncSide } from '../lib/sync-peer.ts'

let nextPeer: Promise<number> | undefined

/**
 * A: note the time of the next peer that appears.
 */
export function arm (): void {
  const { repo } = current()

  nextPeer = new Promise(resolve => {
    repo.networkSubsystem.once('peer', () => { resolve(now()) })
  })
}

/**
 * A: the time the peer armed for appeared.
 */
export async function collect (): Promise<number> {
  if (nextPeer == null) {
    throw new Error('dial#arm was not called')
  }

  return nextPeer
}

let dialer: SyncPeer | undefined

/**
 * B: one dial from a fresh peer. Returns the dial's start and the time B saw A as a candidate, on
 * the clock `now()` shares with A's process. The peer stays up until `release()`: stopped at once,
 * it could hang up before A has seen it.
 */
export async function trial (side: SyncSide, address: string): Promise<{ start: number, candidate: number, transport: number }> {
  const peer = await createSyncPeer(side)
  dialer = peer
  const seen = new Promise<number>(resolve => {
    peer.repo.networkSubsystem.once('peer', () => { resolve(now()) })
  })
  const start = now()
  await peer.connect(address)
  const transport = await transportUp(peer)
  const candidate = await seen
  await waitForPeers(peer.repo, 1)
  return { start, candidate, transport }
}

/**
 * When the dialer's transport connection was up: docpeer's dial resolves once the libp2p
 * connection is upgraded (TCP + noise + yamux); the anchor's WebSocket fires 'open'.
 */
async function transportUp (peer: SyncPeer): Promise<number> {
  if (peer.side === 'docpeer') {
    return now()
  }

  for (;;) {
    const socket = (peer.repo.networkSubsystem.adapters as any[]).find(adapter => adapter.socket != null)?.socket

    if (socket != null) {
      if (socket.readyState !== 1) {
        await new Promise(resolve => socket.addEventListener('open', resolve, { once: true }))
      }

      return now()
    }

    await new Promise(resolve => setImmediate(resolve))
  }
}

export async function release (): Promise<void> {
  await dialer?.stop()
  dialer = undefined
}
