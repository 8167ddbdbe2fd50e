/**
 * Whom an open peer asks when its app looks for a document it does not hold: the peers it chose
 * (its servers) by id, then every other connected peer by key (common-documents.ts), and by id only
 * once it said it holds the document. With none of the chosen peers connected (a LAN of daemons, or
 * every server down) the first round asks no one and the lookup goes straight to the round by key.
 *
 * Asked all at once, as automerge-repo's default does, the document id went to every stranger
 * discovery had connected this peer to, and each of them, not holding it, looked it up from its own
 * servers and then synced it with the asker: with 50 daemons on 3 servers, each dialing 4 peers it
 * discovered, all opening one document took 8.9 s instead of 1.5 s (BENCHMARKS.md, fifth session).
 * And automerge-repo keeps syncing a document with every peer it asked for it: once the asker found
 * it, every peer asked by id was sent the document (BENCHMARKS.md, eleventh and twelfth sessions).
 */
import type { AccessController } from '../access/index.ts'
import type { AccessNetworkAdapter } from '../access/index.ts'

export class LookupOrder {
  private readonly guarded: AccessNetworkAdapter
  private readonly access: AccessController
  /**
   * Per document being looked up, the peers already asked about it (so a widening counts only the
   * answers it is still owed) and how many `find()` calls are looking for it (two apps' lookups of
   * one document share the record; the last one to end removes it).
   */
  private readonly lookups = new Map<string, { asked: Set<string>, finds: number }>()

  constructor (guarded: AccessNetworkAdapter, access: AccessController) {
    this.guarded = guarded
    this.access = access
  }

  /**
   * A `find()` of `documentId` starts: the peers asked about it are recorded until it is done.
   */
  begin (documentId: string): void {
    const lookup = this.lookups.get(documentId) ?? { asked: new Set<string>(), finds: 0 }
    lookup.finds++
    this.lookups.set(documentId, lookup)
  }

  /**
   * Whether the first round of a lookup of `documentId` asks `peer` by id: only if this peer chose
   * it. Asking is recorded while a `find()` of it runs (automerge-repo also asks chosen peers that
   * connect later about a document it still lacks: those are not recorded, so a document never
   * found leaves nothing behind).
   */
  asks (peer: string, documentId: string): boolean {
    if (!this.access.isChosen(peer)) {
      return false
    }

    this.record(documentId, [peer])
    return true
  }

  /**
   * Whether a `find()` of `documentId` that takes `unavailable` for an answer asks the other
   * connected peers by key before it answers: when no chosen peer is connected, so that its first
   * round asked no one by id. Not when a libp2p peer asked this one about the document: that find
   * is automerge-repo's own, for the requester, and a lookup on its behalf would fetch the document
   * for a peer that may not be meant to have it. (A request from a peer of another adapter, a
   * bridge client or a tab, is this node's own app asking.)
   */
  byKeyOnly (documentId: string): boolean {
    return !this.chosenConnected() && !this.guarded.heardOf(documentId)
  }

  /**
   * Whether a message from `peer` came from outside libp2p: a bridge client or a tab (another
   * adapter's peer, which the app's own code runs), not a libp2p peer of this node.
   */
  fromApp (peer: string): boolean {
    return !this.guarded.reaches(peer)
  }

  /**
   * The chosen peers did not have `documentId`: returns the other connected peers, not asked yet,
   * to ask whether they hold it. Asked by id, as automerge-repo asks, each would learn the id, and
   * automerge-repo would send it the document once this peer found it elsewhere.
   */
  widen (documentId: string): string[] {
    const asked = this.lookups.get(documentId)?.asked
    const others = this.guarded.peers().filter(peer => asked?.has(peer) !== true)
    this.record(documentId, others)
    return others
  }

  /**
   * A `find()` of `documentId` is over (found or given up).
   */
  done (documentId: string): void {
    const lookup = this.lookups.get(documentId)

    if (lookup != null && --lookup.finds <= 0) {
      this.lookups.delete(documentId)
    }
  }

  /**
   * Whether any peer this one chose is connected (sync-ready).
   */
  chosenConnected (): boolean {
    for (const peer of this.access.chosenPeers()) {
      if (this.guarded.reaches(peer)) {
        return true
      }
    }

    return false
  }

  private record (documentId: string, peers: string[]): void {
    const asked = this.lookups.get(documentId)?.asked
    peers.forEach(peer => asked?.add(peer))
  }
}
