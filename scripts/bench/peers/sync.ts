/**
 * The one sync peer of a benchmark process (workloads 1-3 and the hub of 5).
 */
import { createSyncPeer, waitForPeers } from '../lib/sync-peer.ts'
import type { SyncPeer, SyncPeerInit, SyncSide } from '../lib/sync-peer.ts'
import type { AnyDocumentId } from '@automerge/automerge-repo'

let peer: SyncPeer | undefined
let received = 0

export function current (): SyncPeer {
  if (peer == null) {
    throw new Error('sync#start was not called')
  }

  return peer
}

export async function start (side: SyncSide, init: SyncPeerInit = {}): Promise<{ address?: string }> {
  peer = await createSyncPeer(side, init)
  // automerge-repo messages this peer's Repo took in: how many sync rounds a workload took
  peer.repo.networkSubsystem.on('message', () => { received++ })
  return { address: peer.address }
}

/**
 * Repo messages received since the last call.
 */
export function takeReceived (): number {
  const count = received
  received = 0
  return count
}

/**
 * Connects to a listening peer and waits until the repo counts it as a peer.
 */
export async function connect (address: string): Promise<void> {
  const { repo } = current()
  const before = repo.peers.length
  await current().connect(address)
  await waitForPeers(repo, before + 1)
}

export async function waitPeers (count: number): Promise<void> {
  await waitForPeers(current().repo, count)
}

export async function find (url: AnyDocumentId): Promise<void> {
  await current().repo.find(url)
}

export async function stop (): Promise<void> {
  await peer?.stop()
  peer = undefined
}
