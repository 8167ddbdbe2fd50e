/**
 * A measurement, not a pass/fail scenario: what a server-role peer keeps for each unknown document
 * id a connected peer asks for. automerge-repo creates a DocHandle (a state machine, sync state,
 * listeners) for every document id it is asked about and never evicts it, so a peer that asks for
 * random ids grows an `open` server's heap without bound. A `restricted` server's access layer
 * answers them before the Repo sees them. The figures go into the README.
 */
import { generateAutomergeUrl, parseAutomergeUrl } from '@automerge/automerge-repo'
import { settledHeap } from '../memory.ts'
import { bareNode, crashCounter, loopbackPeer, quietRepoComplaints, sleep, waitFor } from '../peers.ts'
import { answerDialBack, encodeFrame, joinAs } from './fuzz-inputs.ts'
import type { AccessMode } from '../../src/index.ts'

export interface DocFloodResult {
  requests: number
  /** requests the access layer answered without the Repo */
  refused: number
  /** handles the target's Repo holds afterwards */
  handles: number
  heapBefore: number
  heapAfter: number
  bytesPerRequest: number
  targetAlive: boolean
  crashes: number
}

export async function runDocFlood (requests: number, access: AccessMode = 'restricted'): Promise<DocFloodResult> {
  const crashes = crashCounter()
  const complaints = quietRepoComplaints()
  const target = await loopbackPeer({ role: 'server', access })
  const hostile = await bareNode()

  try {
    await answerDialBack(hostile)
    const connection = await hostile.dial(target.libp2p.getMultiaddrs()[0])
    const hostileId = hostile.peerId.toString()
    const { stream } = await joinAs(connection, hostileId)
    await waitFor(() => target.repo!.peers.length === 1, 10_000, 'the hostile peer to be up')
    const before = await settledHeap()
    const handlesBefore = Object.keys(target.repo!.handles).length
    const refusedBefore = target.access.stats().refusedReads

    for (let i = 0; i < requests; i++) {
      const documentId = parseAutomergeUrl(generateAutomergeUrl()).documentId
      stream.send(encodeFrame({ type: 'request', senderId: hostileId, targetId: target.peerId.toString(), documentId, data: new Uint8Array(0) }))

      if (i % 200 === 199) {
        await sleep(20)
      }
    }

    const handled = (): number => Object.keys(target.repo!.handles).length - handlesBefore + target.access.stats().refusedReads - refusedBefore
    await waitFor(() => handled() >= requests, 120_000, 'the target to handle every request', 100).catch(() => {})
    const after = await settledHeap()
    const handles = Object.keys(target.repo!.handles).length - handlesBefore

    return {
      requests,
      refused: target.access.stats().refusedReads - refusedBefore,
      handles,
      heapBefore: before,
      heapAfter: after,
      bytesPerRequest: Math.round((after - before) / Math.max(1, requests)),
      targetAlive: target.libp2p.status === 'started',
      crashes: crashes.count()
    }
  } finally {
    complaints.restore()
    crashes.stop()
    await hostile.stop()
    await target.stop()
  }
}
