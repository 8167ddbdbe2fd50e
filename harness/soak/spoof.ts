/**
 * Scenario 2: spoofing. A peer with a completed handshake sends repo messages that claim another
 * peer's automerge sender id (the honest peer's, the target's own), or are addressed to someone else,
 * and tries to join under the honest peer's id. Every spoofed frame carries a marker field; the scenario
 * counts marked messages the target's Repo receives (its NetworkSubsystem's `'message'` event).
 *
 * Controls prove the counter counts: messages with the hostile peer's own sender id, marked the
 * same way, must all arrive. `ephemeral` messages are counted apart: automerge-repo relays them hop
 * by hop with the origin's sender id, so the adapter lets them name any origin (by design; see the
 * adapter's module comment) as long as they are addressed to the target and do not claim to be
 * from the target itself.
 *
 * Runs against a docpeer peer (automerge ids are libp2p peer ids, `peerIdMatchesLibp2p` on) and
 * against a bare adapter with free-form ids ('alice', 'mallory').
 */
import { Repo } from '@automerge/automerge-repo'
import { Libp2pNetworkAdapter } from '../../src/sync/index.ts'
import { bareNode, crashCounter, loopbackPeer, quietRepoComplaints, sleep, waitFor } from '../peers.ts'
import { answerDialBack, encodeFrame, joinAs } from './fuzz-inputs.ts'
import type { Message, PeerId as RepoPeerId } from '@automerge/automerge-repo'
import type { Libp2p } from '@libp2p/interface'

export interface SpoofOptions {
  /** spoofed frames per kind and target */
  rounds: number
  progress?(line: string): void
}

export interface SpoofResult {
  attempts: number
  /** spoofed (non-ephemeral) messages that reached a Repo: must be 0 */
  reachedRepo: number
  /** joins under the honest peer's id that were accepted: must be 0 */
  joinsAccepted: number
  /** streams the target did not reset after a spoofed frame it should reset for */
  notReset: number
  controlsSent: number
  controlsReceived: number
  ephemeralOriginClaimsSent: number
  ephemeralOriginClaimsReceived: number
  honestDisconnects: number
  crashes: number
  durationMs: number
}

interface Target {
  name: string
  repo: Repo
  adapter: Libp2pNetworkAdapter
  node: Libp2p
  id: string
  honestId: string
  /** the automerge id the hostile peer joins with */
  hostileId: string
  documentId: string
  honestDisconnects(): number
  stop(): Promise<void>
}

const MARK = 'spoof-mark'

async function docpeerTarget (): Promise<Target> {
  const target = await loopbackPeer({ role: 'server' })
  const honest = await loopbackPeer()
  let disconnects = 0
  honest.syncAdapter?.on('peer-disconnected', () => { disconnects++ })
  await honest.syncWith(target.libp2p.getMultiaddrs()[0])
  const handle = honest.repo!.create({ text: 'honest' })
  await waitFor(async () => (await target.repo!.find(handle.url).catch(() => undefined)) != null, 10_000, 'the target to have the document')

  return {
    name: 'docpeer',
    repo: target.repo!,
    adapter: target.syncAdapter!,
    node: target.libp2p,
    id: target.peerId.toString(),
    honestId: honest.peerId.toString(),
    hostileId: '',
    documentId: handle.documentId,
    honestDisconnects: () => disconnects,
    stop: async () => {
      await honest.stop()
      await target.stop()
    }
  }
}

async function bareTarget (): Promise<Target> {
  const node = await bareNode()
  const adapter = new Libp2pNetworkAdapter(node)
  const repo = new Repo({ network: [adapter], peerId: 'target' as RepoPeerId })
  const honestNode = await bareNode()
  const honestAdapter = new Libp2pNetworkAdapter(honestNode)
  const honestRepo = new Repo({ network: [honestAdapter], peerId: 'alice' as RepoPeerId })
  let disconnects = 0
  honestAdapter.on('peer-disconnected', () => { disconnects++ })
  await honestAdapter.whenReady()
  await adapter.whenReady()
  const connection = await honestNode.dial(node.getMultiaddrs()[0])
  await honestAdapter.syncWith(connection)
  const handle = honestRepo.create({ text: 'honest' })
  await waitFor(async () => (await repo.find(handle.url).catch(() => undefined)) != null, 10_000, 'the target to have the document')

  return {
    name: 'bare adapter',
    repo,
    adapter,
    node,
    id: 'target',
    honestId: 'alice',
    hostileId: 'mallory',
    documentId: handle.documentId,
    honestDisconnects: () => disconnects,
    stop: async () => {
      await honestRepo.shutdown().catch(() => {})
      await repo.shutdown().catch(() => {})
      await honestNode.stop()
      await node.stop()
    }
  }
}

async function spoofTarget (target: Target, rounds: number, result: SpoofResult): Promise<void> {
  const hostile = await bareNode()
  const hostileId = target.hostileId === '' ? hostile.peerId.toString() : target.hostileId
  await answerDialBack(hostile, hostileId)

  let marked = 0
  let markedEphemeral = 0
  let controls = 0
  const onMessage = (message: Message & Record<string, unknown>): void => {
    if (message[MARK] === 'spoof') {
      if (message.type === 'ephemeral') {
        markedEphemeral++
      } else {
        marked++
      }
    } else if (message[MARK] === 'control') {
      controls++
    }
  }
  target.repo.networkSubsystem.on('message', onMessage as any)

  let joinsAccepted = 0
  const onCandidate = ({ peerId }: { peerId: RepoPeerId }): void => {
    if (peerId === target.honestId) {
      joinsAccepted++
    }
  }
  target.adapter.on('peer-candidate', onCandidate)

  try {
    const connection = await hostile.dial(target.node.getMultiaddrs()[0])
    const documentId = target.documentId
    const data = new Uint8Array(8)
    // a control: the hostile peer's own sender id, which must arrive
    const control = (count: number): Uint8Array => encodeFrame({ type: 'ephemeral', senderId: hostileId, targetId: target.id, documentId, count, sessionId: 'control', data, [MARK]: 'control' })
    let controlCount = 0
    const sendControl = async (hs: { stream: { send(b: Uint8Array): boolean } }): Promise<void> => {
      hs.stream.send(control(++controlCount))
      result.controlsSent++
      const expected = result.controlsSent
      await waitFor(() => result.controlsReceived + controls >= expected, 5_000, 'the control').catch(() => {})
    }
    // [spoofed frame, whether the adapter resets the stream for it (else it drops the frame)]
    const spoofs: Array<[() => Record<string, unknown>, boolean]> = [
      [() => ({ type: 'sync', senderId: target.honestId, targetId: target.id, documentId, data }), true],
      [() => ({ type: 'request', senderId: target.honestId, targetId: target.id, documentId, data }), true],
      [() => ({ type: 'doc-unavailable', senderId: target.honestId, targetId: target.id, documentId }), true],
      [() => ({ type: 'remote-heads-changed', senderId: target.honestId, targetId: target.id, documentId, newHeads: {} }), true],
      [() => ({ type: 'remote-subscription-change', senderId: target.honestId, targetId: target.id, add: [], remove: [] }), true],
      [() => ({ type: 'sync', senderId: target.id, targetId: target.id, documentId, data }), true],
      [() => ({ type: 'sync', senderId: hostileId, targetId: target.honestId, documentId, data }), true],
      [() => ({ type: 'request', senderId: hostileId, targetId: 'someone-else', documentId, data }), true],
      [() => ({ type: 'ephemeral', senderId: target.honestId, targetId: 'someone-else', documentId, count: 1, sessionId: 's', data }), true],
      [() => ({ type: 'ephemeral', senderId: target.id, targetId: target.id, documentId, count: 1, sessionId: 's', data }), false]
    ]

    for (let round = 0; round < rounds; round++) {
      for (const [spoof, resets] of spoofs) {
        const hs = await joinAs(connection, hostileId)

        if (hs.reply?.type !== 'peer') {
          // refused, e.g. the previous stream of this peer is still being torn down
          hs.stream.abort(new Error('no handshake'))
          continue
        }

        result.attempts++
        hs.stream.send(encodeFrame({ ...spoof(), [MARK]: 'spoof' }))

        // dropped without a reset: a control sent after it arrives, and it did not
        const end = resets ? await Promise.race([hs.ended, sleep(5_000).then(() => 'open' as const)]) : await sendControl(hs).then(() => 'reset' as const)
        result.notReset += end === 'reset' ? 0 : 1

        hs.stream.abort(new Error('done'))
      }

      // joining under the honest peer's automerge id
      const impostor = await joinAs(connection, target.honestId)
      result.attempts++

      if (impostor.reply?.type === 'peer') {
        joinsAccepted++
      }

      impostor.stream.abort(new Error('done'))

      // controls, and an ephemeral message relayed "from" the honest peer
      const hs = await joinAs(connection, hostileId)

      if (hs.reply?.type === 'peer') {
        hs.stream.send(encodeFrame({ type: 'ephemeral', senderId: target.honestId, targetId: target.id, documentId, count: round + 1, sessionId: `s${round}`, data, [MARK]: 'spoof' }))
        result.ephemeralOriginClaimsSent++
        // once the control sent after it arrives, the ephemeral one before it has been handled
        await sendControl(hs)
        hs.stream.abort(new Error('done'))
      }
    }
  } finally {
    target.repo.networkSubsystem.off('message', onMessage as any)
    target.adapter.off('peer-candidate', onCandidate)
    result.reachedRepo += marked
    result.ephemeralOriginClaimsReceived += markedEphemeral
    result.controlsReceived += controls
    result.joinsAccepted += joinsAccepted
    result.honestDisconnects += target.honestDisconnects()
    await hostile.stop()
  }
}

export async function runSpoof (options: SpoofOptions): Promise<SpoofResult> {
  const progress = options.progress ?? (() => {})
  const crashes = crashCounter()
  const complaints = quietRepoComplaints()
  const started = Date.now()
  const result: SpoofResult = {
    attempts: 0,
    reachedRepo: 0,
    joinsAccepted: 0,
    notReset: 0,
    controlsSent: 0,
    controlsReceived: 0,
    ephemeralOriginClaimsSent: 0,
    ephemeralOriginClaimsReceived: 0,
    honestDisconnects: 0,
    crashes: 0,
    durationMs: 0
  }

  try {
    for (const make of [docpeerTarget, bareTarget]) {
      const target = await make()

      try {
        await spoofTarget(target, options.rounds, result)
        progress(`spoof: ${target.name} target done, ${result.attempts} attempts so far`)
      } finally {
        await target.stop()
      }
    }
  } finally {
    complaints.restore()
    crashes.stop()
  }

  result.crashes = crashes.count()
  result.durationMs = Date.now() - started
  return result
}
