/**
 * `peer.access`: the access lists of a peer's documents, how they are kept, and the share policy
 * that follows from them. Changes apply to live connections at once: the access adapter checks
 * every message against the current list, and the Repo is told to re-decide whom it syncs with.
 *
 * Share policy: a peer announces (offers unasked, and asks about when it looks for a document)
 * only to the peers it chose (its bootstrap peers and those given to `syncWith()`) and to a
 * document's named members. Any other peer gets a document only by asking for it, and only with
 * read right. automerge-repo's default announces every document to every connected peer.
 */
import { interpretAsDocumentId, isValidAutomergeUrl, isValidDocumentId } from '@automerge/automerge-repo/slim'
import { peerIdFromString } from '@libp2p/peer-id'
import { AccessListError } from './errors.ts'
import { AccessList, PUBLIC } from './list.ts'
import type { AccessCounts } from './adapter.ts'
import type { AccessListJSON, AccessMode, Level, Right } from './list.ts'
import type { DocumentId } from '@automerge/automerge-repo/slim'
import type { PeerId } from '@libp2p/interface'

/**
 * Where a peer keeps its access lists (a file in the data directory in Node.js).
 */
export interface AccessStore {
  load(): Promise<unknown>
  save(json: AccessListJSON): Promise<void>
  /**
   * Calls `onChange` when another process changed the lists (`docpeer doc share`).
   */
  watch?(onChange: () => void): () => void
}

export interface DocumentAccessInfo {
  documentId: DocumentId
  /**
   * false: the document has no list and takes the peer's mode.
   */
  restricted: boolean
  /**
   * What every peer may do.
   */
  public: Level
  members: Array<{ peerId: string, right: Right }>
}

export type Grantee = PeerId | string

export interface PeerAccess {
  readonly mode: AccessMode
  /**
   * Gives a peer (or `'public'`: everyone) `read` (the default) or `write` right on a document.
   * The first share makes an open document restricted to its members.
   */
  share(document: string, who: Grantee, right?: Right): Promise<void>
  /**
   * Takes a peer's (or the public) right away; the peer stops receiving the document at once.
   */
  unshare(document: string, who: Grantee): Promise<void>
  /**
   * Drops the document's list: it takes the peer's mode again.
   */
  reset(document: string): Promise<void>
  get(document: string): DocumentAccessInfo
  rightOf(peer: Grantee, document: string): Level
  /**
   * Messages refused or withheld so far.
   */
  stats(): AccessCounts
  /**
   * Counts a peer as one this peer chose, as its bootstrap peers and `syncWith()` targets are: its
   * documents are offered to it and lookups for documents are passed to it (`docpeer connect`).
   */
  choose(peer: string): void
}

export function documentIdOf (document: string): DocumentId {
  if (isValidAutomergeUrl(document) || isValidDocumentId(document)) {
    return interpretAsDocumentId(document as any)
  }

  throw new AccessListError(`"${document}" is not an automerge URL or document id`)
}

export function granteeOf (who: Grantee): string {
  const value = who.toString()

  if (value === PUBLIC) {
    return value
  }

  try {
    return peerIdFromString(value).toString()
  } catch {
    throw new AccessListError(`"${value}" is not a libp2p peer id (or "${PUBLIC}")`)
  }
}

export interface AccessControllerInit {
  mode?: AccessMode
  store?: AccessStore
  /**
   * Peers this one announces its documents to.
   */
  chosen?: Iterable<string>
}

export class AccessController implements PeerAccess {
  readonly list: AccessList
  private readonly store?: AccessStore
  private readonly chosen: Set<string>
  /**
   * Per document, the peers it may be asked about though they are not chosen (providers found for it).
   */
  private readonly askedAbout = new Map<string, Set<string>>()
  private readonly listeners: Array<() => void> = []
  log: (format: string, ...args: unknown[]) => void
  private unwatch?: () => void
  counts: () => AccessCounts = () => ({ refusedWrites: 0, refusedReads: 0, droppedInbound: 0, withheld: 0 })

  constructor (init: AccessControllerInit = {}) {
    this.list = new AccessList(init.mode)
    this.store = init.store
    this.chosen = new Set(init.chosen)
    this.log = () => {}
  }

  get mode (): AccessMode {
    return this.list.mode
  }

  /**
   * Reads the stored lists and follows changes other processes make to them.
   */
  async start (): Promise<void> {
    if (this.store == null) {
      return
    }

    const json = await this.store.load()

    if (json != null) {
      this.list.load(json)
    }

    this.unwatch = this.store.watch?.(() => {
      this.store?.load().then(json => {
        this.list.load(json ?? { version: 1, documents: {} })
        this.log('access lists reloaded')
        this.changed()
      }).catch(err => { this.log('cannot reload the access lists - %s', err.message) })
    })
  }

  stop (): void {
    this.unwatch?.()
  }

  /**
   * Called whenever a list or the chosen peers change.
   */
  onChange (listener: () => void): void {
    this.listeners.push(listener)
  }

  /**
   * Announce documents to `peer` from now on.
   */
  choose (peer: string): void {
    if (!this.chosen.has(peer)) {
      this.chosen.add(peer)
      this.changed()
    }
  }

  isChosen (peer: string): boolean {
    return this.chosen.has(peer)
  }

  chosenPeers (): Iterable<string> {
    return this.chosen.values()
  }

  /**
   * Whether to offer `documentId` to `peer` unasked.
   */
  announces (peer: string, documentId: string): boolean {
    return (this.chosen.has(peer) || this.list.isMember(peer, documentId) || this.askedAbout.get(documentId)?.has(peer) === true) && this.list.rightOf(peer, documentId) !== 'none'
  }

  /**
   * Lets this peer ask `peer` (or each of several) about a document, or several (a provider the DHT
   * found for it, the connected peers when its chosen peers did not have it, a peer holding the same
   * open documents), without offering it any other.
   */
  askAbout (peer: string | string[], document: string | string[]): void {
    const peers = typeof peer === 'string' ? [peer] : peer
    let added = false

    for (const documentId of typeof document === 'string' ? [document] : document) {
      const asked = this.askedAbout.get(documentId) ?? new Set<string>()

      for (const p of peers) {
        if (!asked.has(p)) {
          asked.add(p)
          added = true
        }
      }

      this.askedAbout.set(documentId, asked)
    }

    if (added) {
      this.changed()
    }
  }

  async share (document: string, who: Grantee, right: Right = 'read'): Promise<void> {
    this.list.set(documentIdOf(document), granteeOf(who), right)
    await this.saved()
  }

  async unshare (document: string, who: Grantee): Promise<void> {
    this.list.remove(documentIdOf(document), granteeOf(who))
    await this.saved()
  }

  async reset (document: string): Promise<void> {
    this.list.clear(documentIdOf(document))
    await this.saved()
  }

  get (document: string): DocumentAccessInfo {
    const documentId = documentIdOf(document)
    const entry = this.list.get(documentId)

    return {
      documentId,
      restricted: entry != null || this.mode === 'restricted',
      public: entry == null ? (this.mode === 'open' ? 'write' : 'none') : entry.public ?? 'none',
      members: Object.entries(entry?.members ?? {}).map(([peerId, right]) => ({ peerId, right }))
    }
  }

  rightOf (peer: Grantee, document: string): Level {
    return this.list.rightOf(peer.toString(), documentIdOf(document))
  }

  stats (): AccessCounts {
    return this.counts()
  }

  private async saved (): Promise<void> {
    // the checks see the new list at once; the Repo re-decides whom it syncs with
    this.changed()
    await this.store?.save(this.list.toJSON())
  }

  private changed (): void {
    for (const listener of this.listeners) {
      listener()
    }
  }
}
