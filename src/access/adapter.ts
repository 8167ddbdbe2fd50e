/**
 * `AccessNetworkAdapter`: the access list enforced between a network adapter and the Repo. It wraps
 * docpeer's libp2p adapter, whose message sender ids are the authenticated libp2p peer ids of the
 * streams they came on (`peerIdMatchesLibp2p`), so a right given to a peer id is a right of the key
 * holder only.
 *
 * In (remote to Repo), per message about a document:
 * - `sync` / `request` from a peer without read right: dropped and answered `doc-unavailable` by
 * this adapter, exactly as for an id the Repo was never asked about, so the Repo creates no handle
 * and keeps no state for it (automerge-repo keeps a DocHandle, ~32 KiB, per id it is asked about).
 * - `sync` / `request` carrying changes from a peer with read right only: dropped before the Repo
 * applies them, logged and counted; without changes (heads, bloom filter) they pass, so readers
 * receive changes.
 * - `ephemeral`, `doc-unavailable`, `remote-heads-changed` from a peer without read right: dropped.
 *
 * Out (Repo to remote): nothing about a document reaches a peer without read right (only the
 * `doc-unavailable` answer), so a revoked peer stops receiving at the next message, before the
 * Repo has even stopped syncing with it.
 */
import { Automerge, NetworkAdapter } from '@automerge/automerge-repo/slim'
import type { Level } from './list.ts'
import type { DocumentId, Message, NetworkAdapterInterface, PeerId, PeerMetadata } from '@automerge/automerge-repo/slim'

export interface AccessDecider {
  rightOf(peer: string, documentId: string): Level
}

export interface AccessCounts {
  /** `sync`/`request` messages with changes from a peer with read right only */
  refusedWrites: number
  /** `sync`/`request` messages from a peer without read right (or for an unknown id) */
  refusedReads: number
  /** other inbound messages about a document the sender may not read */
  droppedInbound: number
  /** outbound messages withheld from a peer without read right */
  withheld: number
}

export interface AccessNetworkAdapterInit {
  log?(format: string, ...args: unknown[]): void
}

export class AccessNetworkAdapter extends NetworkAdapter {
  readonly inner: NetworkAdapterInterface
  private readonly decider: AccessDecider
  private readonly log: (format: string, ...args: unknown[]) => void
  private readonly connected = new Set<string>()
  private readonly heard = new Set<string>()
  private readonly counts: AccessCounts = { refusedWrites: 0, refusedReads: 0, droppedInbound: 0, withheld: 0 }

  constructor (inner: NetworkAdapterInterface, decider: AccessDecider, init: AccessNetworkAdapterInit = {}) {
    super()
    this.inner = inner
    this.decider = decider
    this.log = init.log ?? (() => {})

    inner.on('peer-candidate', payload => {
      this.connected.add(payload.peerId)
      this.emit('peer-candidate', payload)
    })
    inner.on('peer-disconnected', payload => {
      this.connected.delete(payload.peerId)
      this.emit('peer-disconnected', payload)
    })
    inner.on('message', message => { this.receive(message) })
    inner.on('close', () => { this.emit('close') })
  }

  /**
   * Whether `peer` is reached through this adapter (an authenticated peer id).
   */
  reaches (peer: string): boolean {
    return this.connected.has(peer)
  }

  /**
   * The peers reached through this adapter.
   */
  peers (): string[] {
    return [...this.connected]
  }

  /**
   * Whether a peer sent a `sync` or `request` about the document: it did not start as a lookup of
   * this peer's app.
   */
  heardOf (documentId: string): boolean {
    return this.heard.has(documentId)
  }

  stats (): AccessCounts {
    return { ...this.counts }
  }

  isReady (): boolean {
    return this.inner.isReady()
  }

  async whenReady (): Promise<void> {
    await this.inner.whenReady()
  }

  connect (peerId: PeerId, peerMetadata?: PeerMetadata): void {
    this.peerId = peerId
    this.peerMetadata = peerMetadata
    this.inner.connect(peerId, peerMetadata)
  }

  disconnect (): void {
    this.inner.disconnect()
  }

  send (message: Message): void {
    const documentId = message.documentId

    if (documentId != null && message.type !== 'doc-unavailable' && this.decider.rightOf(message.targetId, documentId) === 'none') {
      this.counts.withheld++
      this.log('withholding a %s message about %s from %s, who may not read it', message.type, documentId, message.targetId)
      return
    }

    this.inner.send(message)
  }

  private receive (message: Message): void {
    const documentId = message.documentId

    if (documentId == null) {
      this.emit('message', message)
      return
    }

    const right = this.decider.rightOf(message.senderId, documentId)

    if (message.type === 'sync' || message.type === 'request') {
      if (right === 'none') {
        this.counts.refusedReads++
        this.log('refusing a %s message about %s from %s, who may not read it', message.type, documentId, message.senderId)
        this.answerUnavailable(message.senderId, documentId)
        return
      }

      if (right === 'read' && carriesChanges(message.data)) {
        this.counts.refusedWrites++
        this.log('refusing changes to %s from %s, who may only read it', documentId, message.senderId)
        return
      }

      this.heard.add(documentId)
    } else if (right === 'none') {
      this.counts.droppedInbound++
      this.log('dropping a %s message about %s from %s, who may not read it', message.type, documentId, message.senderId)
      return
    }

    this.emit('message', message)
  }

  private answerUnavailable (targetId: PeerId, documentId: DocumentId): void {
    if (this.peerId == null) {
      return
    }

    this.inner.send({ type: 'doc-unavailable', senderId: this.peerId, targetId, documentId })
  }
}

/**
 * Whether an automerge sync message carries changes; a message that does not decode counts as one
 * (it is dropped either way).
 */
export function carriesChanges (data: Uint8Array | undefined): boolean {
  if (data == null) {
    return false
  }

  try {
    return Automerge.decodeSyncMessage(data).changes.length > 0
  } catch {
    return true
  }
}
