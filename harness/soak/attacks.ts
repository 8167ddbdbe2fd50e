/**
 * Scenario: tries to get in. Against a `restricted` server holding a document shared with a writer
 * (write) and a reader (read), a hostile bare libp2p node, through real connections, tries N times
 * each to:
 * - `stranger-read`: fetch the document (`request`) without any right;
 * - `stranger-write`: write it (a real sync message carrying a change);
 * - `reader-write`: write it with read right only;
 * - `revoked-read` / `revoked-write`: fetch or write it after its write right was taken away;
 * - `spoof-write`: write it claiming the writer's peer id (on a fresh sync stream each time);
 * - `swarm-key`: connect to a private-network server with a wrong key, and with none.
 *
 * A success is a change with the attempt's mark in the server's document, a message about the
 * document that the server's libp2p adapter sends to the hostile node (counted at the adapter's
 * `send`, after the access layer), or a finished connection. Every count must be 0; the honest
 * writer's change must still arrive (a control that the pipeline moved).
 */
import { newSwarmKey } from '../../src/index.ts'
import { accessNetwork, hostileSession, marksIn, syncMessageWithChange } from '../access.ts'
import { bareNode, crashCounter, loopbackPeer, quietRepoComplaints, waitFor } from '../peers.ts'
import type { AccessDoc } from '../access.ts'
import type { Message } from '@automerge/automerge-repo'

export type AttackKind = 'stranger-read' | 'stranger-write' | 'reader-write' | 'revoked-read' | 'revoked-write' | 'spoof-write' | 'swarm-key'

export interface AttacksOptions {
  /** attempts per kind */
  rounds: number
  progress?(line: string): void
}

export interface AttacksResult {
  attempts: Record<AttackKind, number>
  successes: Record<AttackKind, number>
  refused: { reads: number, writes: number }
  honestArrived: boolean
  crashes: number
  durationMs: number
}

const KINDS: AttackKind[] = ['stranger-read', 'stranger-write', 'reader-write', 'revoked-read', 'revoked-write', 'spoof-write', 'swarm-key']

function zeroes (): Record<AttackKind, number> {
  return Object.fromEntries(KINDS.map(kind => [kind, 0])) as Record<AttackKind, number>
}

export async function runAttacks (options: AttacksOptions): Promise<AttacksResult> {
  const started = Date.now()
  const progress = options.progress ?? (() => {})
  const crashes = crashCounter()
  const complaints = quietRepoComplaints()
  const attempts = zeroes()
  const successes = zeroes()
  // one new connection per spoofing attempt: above the server role's 5 per second from one host
  const net = await accessNetwork({ inboundConnectionThreshold: 10_000 })
  const hostile = await hostileSession(net.server)
  const hostileId = hostile.node.peerId.toString()
  const target = net.server.peerId.toString()
  const documentId = net.handle.documentId
  let honestArrived = false

  // what leaves the server for the hostile node about the document, after the access layer
  const adapter = net.server.syncAdapter!
  const send = adapter.send.bind(adapter)
  let leaked = 0
  adapter.send = (message: Message) => {
    if (message.targetId === hostileId && message.documentId === documentId && message.type !== 'doc-unavailable') {
      leaked++
    }
    send(message)
  }

  const request = (): Record<string, unknown> => ({ type: 'request', senderId: hostileId, targetId: target, documentId, data: new Uint8Array(0) })
  const write = (kind: AttackKind, i: number, senderId = hostileId): Record<string, unknown> =>
    ({ type: 'sync', senderId, targetId: target, documentId, data: syncMessageWithChange(net.handle.doc(), `mark-${kind}-${i}`) })
  const refusedTotal = (): number => { const s = net.server.access.stats(); return s.refusedReads + s.refusedWrites }

  /**
   * Sends `rounds` attempts; with `mayReceive` the hostile node holds read right, so what the server
   * sends it is allowed and only marks count.
   */
  async function burst (kind: AttackKind, make: (i: number) => Record<string, unknown>, mayReceive = false): Promise<void> {
    const leakedBefore = leaked
    const refusedBefore = refusedTotal()

    for (let i = 0; i < options.rounds; i++) {
      hostile.send(make(i))
      attempts[kind]++
    }

    // every attempt refused and counted by the access layer before moving on
    await waitFor(() => refusedTotal() - refusedBefore >= options.rounds, 60_000, `the server to refuse ${kind}`)
    successes[kind] += mayReceive ? 0 : leaked - leakedBefore
    progress(`attacks: ${kind} ${options.rounds} attempts`)
  }

  try {
    await burst('stranger-read', request)
    await burst('stranger-write', i => write('stranger-write', i))

    await net.server.access.share(net.handle.url, hostileId, 'read')
    await burst('reader-write', i => write('reader-write', i), true)

    await net.server.access.share(net.handle.url, hostileId, 'write')
    await net.server.access.unshare(net.handle.url, hostileId)
    await burst('revoked-read', request)
    await burst('revoked-write', i => write('revoked-write', i))

    // spoofing: the sync adapter resets the stream at the first spoofed frame, so one stream each
    await net.server.access.share(net.handle.url, hostileId, 'read')
    const writerId = net.writer.peerId.toString()

    for (let i = 0; i < options.rounds; i++) {
      const spoofer = await hostileSession(net.server, await bareNode())

      try {
        spoofer.send({ ...write('spoof-write', i, writerId), senderId: writerId })
        attempts['spoof-write']++
        await waitFor(() => spoofer.ended(), 20_000, 'the server to reset the spoofing stream')
      } finally {
        await spoofer.stop()
      }
    }
    progress(`attacks: spoof-write ${options.rounds} attempts`)

    // the honest writer still gets through, then no mark may be in the server's document
    const writerHandle = await net.writer.repo!.find<AccessDoc>(net.handle.url)
    writerHandle.change(d => { d.text = 'honest' })
    await waitFor(() => net.handle.doc().text === 'honest', 30_000, 'the writer\'s change').then(() => { honestArrived = true }, () => {})

    for (const mark of marksIn(net.handle.doc(), 'mark-')) {
      const kind = KINDS.find(k => mark.startsWith(`mark-${k}-`))
      if (kind != null) {
        successes[kind]++
      }
    }

    await attackSwarmKey(options.rounds, attempts, successes)
    progress(`attacks: swarm-key ${options.rounds} attempts`)

    const stats = net.server.access.stats()
    return {
      attempts,
      successes,
      refused: { reads: stats.refusedReads, writes: stats.refusedWrites },
      honestArrived,
      crashes: crashes.count(),
      durationMs: Date.now() - started
    }
  } finally {
    adapter.send = send
    complaints.restore()
    crashes.stop()
    await hostile.stop()
    await net.stop()
  }
}

async function attackSwarmKey (rounds: number, attempts: Record<AttackKind, number>, successes: Record<AttackKind, number>): Promise<void> {
  const member = await loopbackPeer({ role: 'server', swarmKey: newSwarmKey(), inboundConnectionThreshold: 10_000 })
  const wrongKey = await loopbackPeer({ swarmKey: newSwarmKey() })
  const noKey = await loopbackPeer()

  try {
    const address = member.libp2p.getMultiaddrs()[0]

    for (let i = 0; i < rounds; i++) {
      const outsider = i % 2 === 0 ? wrongKey : noKey
      attempts['swarm-key']++
      const connected = await outsider.dial(address, { signal: AbortSignal.timeout(5_000) }).then(() => true, () => false)

      if (connected || member.libp2p.getConnections(outsider.peerId).length > 0) {
        successes['swarm-key']++
      }
    }
  } finally {
    await Promise.all([member, wrongKey, noKey].map(async peer => peer.stop()))
  }
}
