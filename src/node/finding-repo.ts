/**
 * The Repo of a docpeer node with a DHT: `find()` of a document that no connected peer has looks
 * up its providers, dials them and syncs, instead of rejecting "unavailable" at once; and the
 * documents this peer created or imported (on a server: every document it holds) are announced as
 * provided.
 *
 * Why a subclass of automerge-repo's Repo and not a separate `peer.findDoc()`: apps, automerge's
 * React hooks and docpeer's own CLI all call `repo.find()`, so that is where a lookup has to happen;
 * and automerge-repo's collection synchronizer calls `repo.find()` itself for every document a peer
 * sends, which is exactly where "this peer now holds it" becomes true. A find that accepts the
 * `unavailable` state (as the synchronizer's does) is passed through untouched: its caller is
 * waiting on the handle itself.
 */
import { Repo } from '@automerge/automerge-repo'
import { DEFAULT_LOOKUP_TIMEOUT } from './providers.ts'
import type { DocumentRouting } from './providers.ts'
import type { AnyDocumentId, DocHandle, DocumentId, RepoConfig } from '@automerge/automerge-repo'
import type { AbortOptions } from '@libp2p/interface'

type FindOptions = Parameters<Repo['find']>[1]

export interface FindingRepoInit {
  routing: DocumentRouting
  /**
   * How long `find()` waits for providers to be found, dialed and to send the document, in ms.
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
}

export class FindingRepo extends Repo {
  private readonly routing: DocumentRouting
  private readonly lookupTimeout: number
  private readonly announceFound: boolean

  constructor (config: RepoConfig, init: FindingRepoInit) {
    super(config)
    this.routing = init.routing
    this.lookupTimeout = init.lookupTimeout ?? DEFAULT_LOOKUP_TIMEOUT
    this.announceFound = init.announceFound ?? false
  }

  override create<T>(initialValue?: T): DocHandle<T> {
    return this.held(super.create<T>(initialValue))
  }

  override import<T>(binary: Uint8Array, args?: { docId?: DocumentId }): DocHandle<T> {
    return this.held(super.import<T>(binary, args))
  }

  override async find<T>(id: AnyDocumentId, options: FindOptions = {}): Promise<DocHandle<T>> {
    const allowableStates = options.allowableStates ?? ['ready']

    if (allowableStates.includes('unavailable')) {
      return this.found(await super.find<T>(id, options))
    }

    const handle = await super.find<T>(id, { ...options, allowableStates: [...allowableStates, 'unavailable'] })

    if (!handle.isUnavailable()) {
      return this.found(handle)
    }

    await this.lookUp(handle, options)

    if (!handle.isReady()) {
      throw new Error(`Document ${String(id)} is unavailable`)
    }

    return this.found(handle)
  }

  private found<T>(handle: DocHandle<T>): DocHandle<T> {
    return this.announceFound ? this.held(handle) : handle
  }

  /**
   * Finds providers of the document, connects to them and waits for it, until the lookup timeout.
   */
  private async lookUp (handle: DocHandle<unknown>, options: AbortOptions): Promise<void> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.lookupTimeout), ...(options.signal == null ? [] : [options.signal])])
    const ready = handle.whenReady(['ready'])
    const aborted = new Promise<void>(resolve => {
      if (signal.aborted) {
        resolve()
      }
      signal.addEventListener('abort', () => { resolve() }, { once: true })
    })

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
    if (handle.isReady()) {
      this.routing.announce(handle.documentId)
    } else {
      handle.whenReady(['ready']).then(() => { this.routing.announce(handle.documentId) }, () => {})
    }

    return handle
  }
}
