/**
 * The Repo of a docpeer node: `find()` of a document that the chosen peers (its servers) do not
 * have asks the other connected peers, by key (lookup-order.ts, common-documents.ts) and, with a
 * DHT, looks up its providers, dials them and syncs, instead of rejecting "unavailable" at once;
 * and with a DHT the documents this peer created or imported (on a server: every document it
 * holds) are announced as provided.
 *
 * Why a subclass of automerge-repo's Repo and not a separate `peer.findDoc()`: apps, automerge's
 * React hooks and docpeer's own CLI all call `repo.find()`, so that is where a lookup has to happen;
 * and automerge-repo's collection synchronizer calls `repo.find()` itself for every document a peer
 * sends, which is exactly where "this peer now holds it" becomes true. A find that accepts the
 * `unavailable` state (as the synchronizer's does) returns as automerge-repo's does, with the handle
 * unavailable if the chosen peers do not have the document: its caller waits on the handle itself.
 * When none of the chosen peers is connected, such a find first asks the other connected peers by
 * key (as they would have been asked by id), unless a libp2p peer asked this one about the document
 * (lookup-order.ts). A bridge client's or a tab's request is looked up as the app's own (others
 * by key, providers over the DHT), a libp2p peer's is not: that would fetch the document for a peer
 * that may not be meant to have it. `findWithProgress()`, automerge-repo's other way to find a
 * document, looks up as `find()` does.
 */
import { interpretAsDocumentId, Repo } from '@automerge/automerge-repo'
import { explainUnreadable } from '../storage/unreadable-document.ts'
import { withLookup } from './find-progress.ts'
import { DEFAULT_LOOKUP_TIMEOUT } from './providers.ts'
import type { Progress } from './find-progress.ts'
import type { LookupOrder } from './lookup-order.ts'
import type { DocumentRouting } from './providers.ts'
import type { AnyDocumentId, DocHandle, DocumentId, RepoConfig } from '@automerge/automerge-repo'

type FindOptions = Parameters<Repo['find']>[1]

/** One round of asking the other connected peers about a document */
interface Round {
  /** the document is there, every peer asked answered without it or left, or the round timed out */
  done: Promise<void>
  /** true once a peer said it holds the document (its sync is starting), false if the round ended without */
  held: Promise<boolean>
}

/**
 * A promise that never resolves: a race entry that does not end the race. A new one each time: the
 * reactions waiting on a shared one would never be freed.
 */
async function never (): Promise<never> {
  return new Promise<never>(() => {})
}

export interface FindingRepoInit {
  /**
   * The DHT's document records (none: no provider lookups, no announcements).
   */
  routing?: DocumentRouting

  /**
   * Whom a lookup asks, and in which order (none: automerge-repo's, everyone at once).
   */
  lookups?: LookupOrder

  /**
   * How long `find()` waits for the other connected peers' answers, and for providers to be found,
   * dialed and to send the document, in ms.
   */
  lookupTimeout?: number

  /**
   * Announce documents this peer found or was sent, not only those it created or imported. On for
   * servers: they hold what their clients share and answer for it. Off for other peers: a client that
   * fetched a document from a server needs no record of its own (the server's, or the creator's, is
   * there), and 50 clients announcing what they just opened made 50 DHT queries against their
   * server at once; announced per peer and per document, that is O(peers x documents) records on the
   * servers.
   */
  announceFound?: boolean

  /**
   * Called with each document the app opened (found or imported) once it is ready.
   */
  onOpened?(documentId: DocumentId): void

  /**
   * Asks a connected peer, without telling it the id, whether it holds a document, and if it does,
   * starts syncing it with it (common-documents.ts). Needed with `lookups`: the other connected peers
   * are asked this way.
   */
  holds?(peer: string, documentId: DocumentId): Promise<boolean>
}

export class FindingRepo extends Repo {
  private readonly routing?: DocumentRouting
  private readonly lookups?: LookupOrder
  private readonly lookupTimeout: number
  private readonly announceFound: boolean
  private readonly onOpened: (documentId: DocumentId) => void
  private readonly holds: NonNullable<FindingRepoInit['holds']>
  /** per document, the round of asking the other connected peers in progress */
  private readonly asking = new Map<DocumentId, Round>()
  /** per document whose round is in progress, what to do when a peer answered or left */
  private readonly answering = new Map<DocumentId, (peer: string) => void>()
  /** documents a bridge client or a tab asked for, until automerge-repo's synchronizer finds them */
  private readonly appRequests = new Set<DocumentId>()
  /**
   * Set while `find()` calls automerge-repo's: that calls `this.findWithProgress()` (synchronously,
   * before its first await), which must then be automerge-repo's own, as `find()` looks up itself
   */
  private inFind = false

  constructor (config: RepoConfig, init: FindingRepoInit) {
    super(config)
    this.routing = init.routing
    this.lookups = init.lookups
    this.lookupTimeout = init.lookupTimeout ?? DEFAULT_LOOKUP_TIMEOUT
    this.announceFound = init.announceFound ?? false
    this.onOpened = init.onOpened ?? (() => {})
    this.holds = init.holds ?? (async () => false)

    // one listener for all rounds: one per round made 1000 lookups at once cost 1000 calls per
    // message (w1)
    this.networkSubsystem.on('message', message => {
      if (message.type === 'doc-unavailable') {
        this.answering.get(message.documentId)?.(message.senderId)
      } else if (message.type === 'request' && this.lookups?.fromApp(message.senderId) === true) {
        // automerge-repo's handler ran first, and its synchronizer's find() for the request comes
        // after an await: it finds this mark
        this.appRequests.add(message.documentId)
      }
    })
    this.networkSubsystem.on('peer-disconnected', ({ peerId }) => {
      this.answering.forEach(answered => { answered(peerId) })
    })
  }

  override create<T>(initialValue?: T): DocHandle<T> {
    return this.held(super.create<T>(initialValue))
  }

  override import<T>(binary: Uint8Array, args?: { docId?: DocumentId }): DocHandle<T> {
    const handle = this.held(super.import<T>(binary, args))
    this.onOpened(handle.documentId)
    return handle
  }

  override async find<T>(id: AnyDocumentId, options: FindOptions = {}): Promise<DocHandle<T>> {
    try {
      return await this.findAndLookUp<T>(id, options)
    } catch (err) {
      // a document whose stored chunks do not load fails with automerge's own parse error
      const documentId = documentIdOf(id)
      throw documentId == null ? err : await explainUnreadable(this, documentId, err)
    }
  }

  private async findAndLookUp<T>(id: AnyDocumentId, options: FindOptions = {}): Promise<DocHandle<T>> {
    // an id that is not one is left to automerge-repo's find(), which rejects it
    const documentId = this.lookups == null ? undefined : documentIdOf(id)

    if (documentId == null) {
      return this.findOrLookUp<T>(id, options)
    }

    this.lookups?.begin(documentId)

    try {
      return await this.findOrLookUp<T>(id, options)
    } finally {
      this.lookups?.done(documentId)
    }
  }

  /**
   * automerge-repo's progress-reporting find: `unavailable` from the chosen peers is not the last
   * step yet. The lookup `find()` makes runs first (the other connected peers by key, providers
   * over the DHT), and the last step is `ready` if it found the document (find-progress.ts).
   */
  override findWithProgress<T>(id: AnyDocumentId, options: { signal?: AbortSignal } = {}): Progress<T> {
    const documentId = documentIdOf(id)

    if (this.inFind || documentId == null || (this.lookups == null && this.routing == null)) {
      return super.findWithProgress<T>(id, options)
    }

    this.lookups?.begin(documentId)

    return withLookup(super.findWithProgress<T>(id, options), {
      lookUp: async unavailable => {
        const handle = unavailable.handle
        await this.lookUpElsewhere(handle, this.lookupSignal(options.signal))

        if (handle.isReady()) {
          return { state: 'ready', handle }
        }

        // as automerge-repo reports its caller's abort
        return options.signal?.aborted === true
          ? { state: 'failed', error: new Error(`Finding document ${String(id)} was aborted`), handle }
          : unavailable
      },
      settled: last => {
        this.lookups?.done(documentId)

        if (last.state === 'ready') {
          this.opened(last.handle)
        }
      }
    })
  }

  private async findOrLookUp<T>(id: AnyDocumentId, options: NonNullable<FindOptions>): Promise<DocHandle<T>> {
    const allowableStates = options.allowableStates ?? ['ready']

    if (allowableStates.includes('unavailable')) {
      const handle = await this.automergeFind<T>(id, options)
      // a caller that takes the handle still requesting is automerge-repo's synchronizer, which
      // waits on the handle itself and asks the chosen peers by id once this find returned
      const synchronizer = handle.inState(['requesting']) && allowableStates.includes('requesting')
      const forApp = this.appRequests.delete(handle.documentId)

      if (handle.isReady() || this.lookups == null) {
        return this.found(handle)
      }

      if (synchronizer && forApp) {
        // a bridge client's or a tab's request: looked up as the app's own
        await this.lookUpForRequest(handle, this.lookupSignal(options.signal))
      } else if (this.lookups.byKeyOnly(handle.documentId)) {
        // the caller takes `unavailable` for an answer: with no chosen peer connected no one was
        // asked for the document by id, so it is the answer only once the connected peers said so
        // by key
        await this.askOthers(handle, this.lookupSignal(options.signal), synchronizer ? 'held' : 'ready')
      }

      return this.found(handle)
    }

    const handle = await this.automergeFind<T>(id, { ...options, allowableStates: [...allowableStates, 'unavailable'] })

    if (!handle.isUnavailable()) {
      return this.opened(handle)
    }

    await this.lookUpElsewhere(handle, this.lookupSignal(options.signal))

    if (!handle.isReady()) {
      throw new Error(`Document ${String(id)} is unavailable`)
    }

    return this.opened(handle)
  }

  /**
   * The chosen peers did not have the document: asks the other connected peers by key and looks
   * its providers up, until it is there, neither found it, or the signal aborts.
   */
  private async lookUpElsewhere (handle: DocHandle<unknown>, signal: AbortSignal): Promise<void> {
    await Promise.all([this.askOthers(handle, signal), this.lookUp(handle, signal)])
  }

  /** the app opened the document (found or imported): told, and announced as `found()` says */
  private opened<T>(handle: DocHandle<T>): DocHandle<T> {
    this.onOpened(handle.documentId)
    return this.found(handle)
  }

  /** automerge-repo's `find()`, with its own `findWithProgress()` */
  private async automergeFind<T>(id: AnyDocumentId, options: NonNullable<FindOptions>): Promise<DocHandle<T>> {
    // automerge-repo's find() calls findWithProgress() before its first await: by the time the
    // promise is returned, the flag did its job
    this.inFind = true
    let found: Promise<DocHandle<T>>

    try {
      found = super.find<T>(id, options)
    } finally {
      this.inFind = false
    }

    return found
  }

  /** aborts at the lookup timeout, or with the caller's signal */
  private lookupSignal (signal?: AbortSignal): AbortSignal {
    return AbortSignal.any([AbortSignal.timeout(this.lookupTimeout), ...(signal == null ? [] : [signal])])
  }

  private found<T>(handle: DocHandle<T>): DocHandle<T> {
    return this.announceFound ? this.held(handle) : handle
  }

  /**
   * The lookup for a bridge client's or a tab's request, which automerge-repo's synchronizer is
   * finding for it: the connected peers by key (the chosen ones as well: the synchronizer asks them
   * by id only once this find returned) and providers over the DHT. Returns once a peer said it
   * holds the document or a provider's sync is open, so that the synchronizer, made when this find
   * returns, syncs the document with it; or once neither is left. Returning before that, the
   * synchronizer would answer "unavailable" as soon as the chosen peers did.
   */
  private async lookUpForRequest (handle: DocHandle<unknown>, signal: AbortSignal): Promise<void> {
    const ended = new AbortController()
    const lookupSignal = AbortSignal.any([signal, ended.signal])
    const byKey = this.askOthers(handle, lookupSignal, 'held')
    const held = byKey.then(async holder => { await (holder ? undefined : never()) })
    const byProviders = this.routing?.connectProviders(handle.documentId, held, lookupSignal) ?? Promise.resolve(0)

    await Promise.race([held, byProviders.then(async synced => { await (synced > 0 ? undefined : never()) }), Promise.all([byKey, byProviders])])
    ended.abort()
  }

  /**
   * The chosen peers did not have the document: asks the other connected peers whether they hold it
   * and waits until one sent it (`until` ready) or said it holds it (`until` held), all of them
   * answered that they do not have it or left, or the signal aborts. Resolves with whether a peer
   * said it holds it. Finds of one document at the same time share one round of asking (the later
   * ones would find everyone asked already and give up at once).
   */
  private async askOthers (handle: DocHandle<unknown>, signal: AbortSignal, until: 'ready' | 'held' = 'ready'): Promise<boolean> {
    const documentId = handle.documentId
    let round = this.asking.get(documentId)

    if (round == null) {
      const held = Promise.withResolvers<boolean>()
      // bounded by the lookup timeout, not by the signal of the find() that started it
      const done = this.answers(handle, AbortSignal.timeout(this.lookupTimeout), () => { held.resolve(true) })
        .finally(() => {
          this.asking.delete(documentId)
          held.resolve(false)
        })
      round = { done, held: held.promise }
      this.asking.set(documentId, round)
    }

    const answered = until === 'held' ? round.held : round.done.then(async () => round.held)
    return Promise.race([answered, abortion(signal).then(() => false)])
  }

  private async answers (handle: DocHandle<unknown>, signal: AbortSignal, onHolder: () => void): Promise<void> {
    const documentId = handle.documentId
    // owed an answer: by key from each peer asked, then by sync from each that said it holds it
    const owed = new Set(this.lookups?.widen(documentId))

    if (owed.size === 0) {
      return
    }

    await new Promise<void>(resolve => {
      const answered = (peerId: string): void => {
        owed.delete(peerId)

        if (owed.size === 0) {
          finish()
        }
      }
      const finish = (): void => {
        if (this.answering.get(documentId) === answered) {
          this.answering.delete(documentId)
        }
        signal.removeEventListener('abort', finish)
        resolve()
      }

      // "unavailable" from a holder that lost the document since, or the peer left
      this.answering.set(documentId, answered)
      signal.addEventListener('abort', finish, { once: true })
      handle.whenReady(['ready']).then(finish, finish)

      for (const peer of owed) {
        // a holder sends the document (or, if it lost it since, "unavailable"); any other is done
        this.holds(peer, documentId).then(holds => {
          if (holds) {
            onHolder()
          } else {
            answered(peer)
          }
        }, () => { answered(peer) })
      }
    })
  }

  /**
   * Finds providers of the document, connects to them and waits for it, until the signal aborts.
   */
  private async lookUp (handle: DocHandle<unknown>, signal: AbortSignal): Promise<void> {
    if (this.routing == null) {
      return
    }

    const ready = handle.whenReady(['ready'])
    const aborted = abortion(signal)

    const synced = await this.routing.connectProviders(handle.documentId, Promise.race([ready, aborted]), signal)

    if (handle.isReady() || synced === 0) {
      return
    }

    // sync is open with at least one provider: the document is on its way
    await Promise.race([ready, aborted])
  }

  /**
   * Announces the document once this peer has it.
   */
  private held<T>(handle: DocHandle<T>): DocHandle<T> {
    const routing = this.routing

    if (routing == null) {
      return handle
    }

    if (handle.isReady()) {
      routing.announce(handle.documentId)
    } else {
      handle.whenReady(['ready']).then(() => { routing.announce(handle.documentId) }, () => {})
    }

    return handle
  }
}

function documentIdOf (id: AnyDocumentId): DocumentId | undefined {
  try {
    return interpretAsDocumentId(id)
  } catch {
    return undefined
  }
}

/** resolves when `signal` aborts */
async function abortion (signal: AbortSignal): Promise<void> {
  await new Promise<void>(resolve => {
    if (signal.aborted) {
      resolve()
    } else {
      signal.addEventListener('abort', () => { resolve() }, { once: true })
    }
  })
}
