/**
 * Documents in common with connected peers, found without telling anyone an id: while none of the
 * peers this one chose (its servers) is connected, it sends each other connected peer the keys of
 * the documents it has open, the peer answers with the keys of those it holds too, and the asker
 * starts syncing those with it (the peer then syncs them back: automerge-repo keeps syncing a
 * document with a peer that sent a message about it). This is what keeps two browser tabs or
 * daemons that opened one document through a server syncing over their direct connection when the
 * server goes, now that lookups and offers go to the chosen peers only (lookup-order.ts, access/).
 *
 * A lookup the chosen peers could not answer (or, with none of them connected, any lookup) asks
 * the other connected peers the same way, by the keys of the documents looked up (`holds()`): only
 * a peer that holds the document learns which one is looked for.
 *
 * A key is the sha256 digest of the DHT's provider key (`docpeer-doc:` + id, providers.ts): it
 * tells a peer that holds the document which one is meant, and tells any other peer nothing. Only
 * documents the other peer may read are sent or answered.
 *
 * Servers answer but never ask: their clients chose them, and a server sending every document it
 * holds to every peer that connects would cost O(peers x documents).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { base16 } from 'multiformats/bases/base16'
import { PROTOCOL_PREFIX } from '../constants.ts'
import { documentKey } from './providers.ts'
import { unlimitedConnection } from './unlimited-connection.ts'
import type { AccessController } from '../access/index.ts'
import type { AccessNetworkAdapter } from '../access/index.ts'
import type { DocumentId, Repo } from '@automerge/automerge-repo'
import type { Connection, Libp2p, Logger, Stream } from '@libp2p/interface'

export const COMMON_DOCUMENTS_PROTOCOL = `/${PROTOCOL_PREFIX}/common-documents/1.0.0`

const KEY_BYTES = 32

/** a document's key, and the same as hex for comparing */
interface Key {
  bytes: Uint8Array
  hex: string
}

/**
 * Most keys in one question or answer: more open documents than this are asked about in
 * several questions.
 */
export const MAX_KEYS = 4096

/**
 * How long one question and its answer may take, in ms.
 */
const EXCHANGE_TIMEOUT = 10_000

/**
 * Questions to one peer at once: each side asks about its open documents at most once per trigger,
 * and about the documents it looks up one question at a time (`holds()`).
 */
const MAX_STREAMS = 3

/** one question about documents looked up: the ids it asks about, and its answer (those held) */
interface LookupQuestion {
  ids: Set<DocumentId>
  /** sent: documents looked up from now on go in the next question */
  asked: boolean
  answer: Promise<Set<DocumentId>>
}

export type CommonDocumentsComponents = Pick<Libp2p, 'handle' | 'unhandle' | 'getConnections' | 'logger'>

export interface CommonDocumentsInit {
  /** Whether this peer asks (servers only answer). */
  asks: boolean
  /** Whether some chosen peer is connected (then nothing is asked). */
  chosenConnected(): boolean
  /**
   * The documents kept in storage, open or not (read once, at the first question; documents
   * stored later were open when they were). None: only open documents are answered for.
   */
  stored?(): Promise<DocumentId[]>
}

export class CommonDocuments {
  private readonly libp2p: CommonDocumentsComponents
  private readonly guarded: AccessNetworkAdapter
  private readonly access: AccessController
  private readonly repo: Repo
  private readonly init: CommonDocumentsInit
  private readonly log: Logger
  /** the key of each document hashed so far */
  private readonly keys = new Map<DocumentId, Key>()
  /** what the next batch asks: all open documents of some peers, some documents of all peers */
  private pendingPeers = new Set<string>()
  private pendingDocuments = new Set<DocumentId>()
  private flushTimer?: ReturnType<typeof setTimeout>
  /** per peer, the last question about documents looked up (asked, or still taking documents) */
  private readonly questions = new Map<string, LookupQuestion>()
  /** the documents in storage, once read (deleted ones leave it) */
  private storedIds?: Promise<Set<DocumentId>>
  private readonly cleanups: Array<() => void> = []
  private stopped = false

  constructor (libp2p: CommonDocumentsComponents, guarded: AccessNetworkAdapter, access: AccessController, repo: Repo, init: CommonDocumentsInit) {
    this.libp2p = libp2p
    this.guarded = guarded
    this.access = access
    this.repo = repo
    this.init = init
    this.log = libp2p.logger.forComponent('docpeer:common-documents')
  }

  async start (): Promise<void> {
    await this.libp2p.handle(COMMON_DOCUMENTS_PROTOCOL, (stream, connection) => {
      this.answer(stream, connection).catch(err => {
        this.log('could not answer %p - %e', connection.remotePeer, err)
        stream.abort(err)
      })
    }, { maxInboundStreams: MAX_STREAMS, maxOutboundStreams: MAX_STREAMS, runOnLimitedConnection: false })

    const onDeleted = ({ documentId }: { documentId: DocumentId }): void => {
      void this.storedIds?.then(ids => ids.delete(documentId))
    }
    this.repo.on('delete-document', onDeleted)
    this.cleanups.push(() => { this.repo.off('delete-document', onDeleted) })

    if (!this.init.asks) {
      return
    }

    const onCandidate = ({ peerId }: { peerId: string }): void => {
      if (!this.access.isChosen(peerId)) {
        this.pendingPeers.add(peerId)
        this.schedule()
      }
    }
    const onDisconnected = ({ peerId }: { peerId: string }): void => {
      if (this.access.isChosen(peerId)) {
        // maybe the last chosen one: every other connected peer is asked about every open document
        this.guarded.peers().forEach(peer => this.pendingPeers.add(peer))
        this.schedule()
      }
    }

    this.guarded.on('peer-candidate', onCandidate)
    this.guarded.on('peer-disconnected', onDisconnected)
    this.cleanups.push(() => {
      this.guarded.off('peer-candidate', onCandidate)
      this.guarded.off('peer-disconnected', onDisconnected)
    })
  }

  /**
   * The app opened a document (found or imported it): asked about at once if no chosen peer is
   * connected, as the open documents are when one connects.
   */
  opened (documentId: DocumentId): void {
    if (this.init.asks) {
      this.pendingDocuments.add(documentId)
      this.schedule()
    }
  }

  async stop (): Promise<void> {
    this.stopped = true
    clearTimeout(this.flushTimer)
    this.cleanups.splice(0).forEach(cleanup => { cleanup() })
    await this.libp2p.unhandle(COMMON_DOCUMENTS_PROTOCOL).catch(() => {})
  }

  /**
   * Asks at the end of this turn: a peer that connects as it is chosen (`syncWith()`) is chosen by
   * then, and a burst of handles becoming ready goes out as one question per peer.
   */
  private schedule (): void {
    if (this.flushTimer == null && !this.stopped) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined
        this.flush()
      }, 0)
    }
  }

  private flush (): void {
    const peers = this.pendingPeers
    const documents = this.pendingDocuments
    this.pendingPeers = new Set()
    this.pendingDocuments = new Set()

    if (this.stopped || this.init.chosenConnected()) {
      return
    }

    const open = this.openDocuments()
    const questions = new Map<string, DocumentId[]>()

    for (const peer of peers) {
      questions.set(peer, open)
    }

    if (documents.size > 0) {
      const added = open.filter(id => documents.has(id))

      for (const peer of this.guarded.peers()) {
        if (!questions.has(peer)) {
          questions.set(peer, added)
        }
      }
    }

    for (const [peer, ids] of questions) {
      const readable = ids.filter(id => this.access.list.rightOf(peer, id) !== 'none')

      if (readable.length > 0 && this.guarded.reaches(peer) && !this.access.isChosen(peer)) {
        this.ask(peer, readable).catch(err => { this.log('could not ask %s about its documents - %e', peer, err) })
      }
    }
  }

  private openDocuments (): DocumentId[] {
    return Object.values(this.repo.handles).filter(handle => handle.isReady()).map(handle => handle.documentId)
  }

  /**
   * Asks `peer` whether it holds `documentId`, by key, and if it does, starts syncing it with it.
   * The other connected peers of a lookup the chosen peers could not answer are asked this way
   * rather than by id: a peer that does not hold the document learns nothing, and is not sent it
   * once this peer finds it elsewhere (automerge-repo keeps syncing a document with every peer it
   * asked for it). One question per peer at a time (a peer answers at most MAX_STREAMS at once):
   * documents looked up while one is under way go together in the next.
   */
  async holds (peer: string, documentId: DocumentId): Promise<boolean> {
    if (this.stopped || this.access.list.rightOf(peer, documentId) === 'none' || this.connectionTo(peer) == null) {
      return false
    }

    let question = this.questions.get(peer)

    if (question == null || question.asked || question.ids.size >= MAX_KEYS) {
      question = this.question(peer, question?.answer)
    }

    question.ids.add(documentId)
    return (await question.answer).has(documentId)
  }

  /**
   * The next question to `peer`: asked once `previous` is answered, with the documents added to it
   * by then.
   */
  private question (peer: string, previous: Promise<unknown> = Promise.resolve()): LookupQuestion {
    const question: LookupQuestion = { ids: new Set(), asked: false, answer: Promise.resolve(new Set()) }
    question.answer = previous.then(async () => {
      question.asked = true
      const connection = this.connectionTo(peer)

      if (connection == null || this.stopped) {
        return new Set<DocumentId>()
      }

      const common = await this.exchange(connection, [...question.ids], AbortSignal.timeout(EXCHANGE_TIMEOUT))
      this.log('%s holds %d of %d documents looked up', peer, common.length, question.ids.size)
      this.syncWith(peer, common)
      return new Set(common)
    }).catch(err => {
      // a peer that does not speak this protocol (automerge-repo on docpeer's adapter alone, a
      // docpeer from before it) cannot answer by key: it is asked by id, as automerge-repo asks
      if (err?.name === 'UnsupportedProtocolError') {
        this.log('%s does not answer by key: asked by id about %d documents', peer, question.ids.size)
        this.syncWith(peer, [...question.ids])
        return new Set(question.ids)
      }

      this.log('could not ask %s about documents looked up - %e', peer, err)
      return new Set<DocumentId>()
    }).finally(() => {
      if (this.questions.get(peer) === question) {
        this.questions.delete(peer)
      }
    })
    this.questions.set(peer, question)
    return question
  }

  private async ask (peer: string, documentIds: DocumentId[]): Promise<void> {
    const connection = this.connectionTo(peer)

    if (connection == null) {
      return
    }

    for (let i = 0; i < documentIds.length; i += MAX_KEYS) {
      const ids = documentIds.slice(i, i + MAX_KEYS)
      const common = await this.exchange(connection, ids, AbortSignal.timeout(EXCHANGE_TIMEOUT))
      this.log('%s holds %d of %d documents asked about', peer, common.length, ids.length)
      this.syncWith(peer, common)
    }
  }

  private connectionTo (peer: string): Connection | undefined {
    return unlimitedConnection(this.libp2p, peerIdFromString(peer))
  }

  /**
   * One question and its answer: which of `ids` (at most MAX_KEYS) the peer holds too.
   */
  private async exchange (connection: Connection, ids: DocumentId[], signal: AbortSignal): Promise<DocumentId[]> {
    const stream = await connection.newStream(COMMON_DOCUMENTS_PROTOCOL, { signal, maxOutboundStreams: MAX_STREAMS })
    const lp = lpStream(stream, { maxDataLength: MAX_KEYS * KEY_BYTES })

    try {
      const keys = await Promise.all(ids.map(async id => this.key(id)))
      await lp.write(concat(keys), { signal })
      const answer = hexKeysOf((await lp.read({ signal })).subarray())
      await stream.close({ signal })
      const sent = new Map(keys.map((key, i) => [key.hex, ids[i]]))
      return answer.map(hex => sent.get(hex)).filter((id): id is DocumentId => id != null)
    } catch (err) {
      stream.abort(err as Error)
      throw err
    }
  }

  /**
   * One question: the keys of documents the asker holds or looks for. The answer: those this peer
   * holds too, and the asker may read. The asker then starts syncing them; starting from this side
   * as well crossed the two first messages and cost a third message each way per document (w1:
   * 3000 against 2000, BENCHMARKS.md twelfth session).
   */
  private async answer (stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    const signal = AbortSignal.timeout(EXCHANGE_TIMEOUT)
    const lp = lpStream(stream, { maxDataLength: MAX_KEYS * KEY_BYTES })
    const asked = new Set(hexKeysOf((await lp.read({ signal })).subarray()))
    const common: DocumentId[] = []
    const keys: Key[] = []
    const stored = await this.stored()

    for (const id of new Set([...this.openDocuments(), ...stored])) {
      const key = await this.key(id)

      if (asked.has(key.hex) && this.access.list.rightOf(peer, id) !== 'none') {
        common.push(id)
        keys.push(key)
      }
    }

    await lp.write(concat(keys), { signal })
    await stream.close({ signal })
    this.log('%s asked about %d documents, %d in common', peer, asked.size, common.length)
  }

  private syncWith (peer: string, documentIds: DocumentId[]): void {
    if (documentIds.length > 0 && !this.stopped) {
      this.access.askAbout(peer, documentIds)
    }
  }

  /**
   * The documents in storage, read once: a question about one not open is answered as well, and the
   * asker's request then loads it.
   */
  private async stored (): Promise<Set<DocumentId>> {
    if (this.init.stored == null) {
      return new Set()
    }

    // a storage that cannot be listed leaves the open documents to answer for
    this.storedIds ??= this.init.stored().then(ids => new Set(ids), err => {
      this.log('could not list the stored documents - %e', err)
      return new Set<DocumentId>()
    })

    return this.storedIds
  }

  private async key (documentId: DocumentId): Promise<Key> {
    let key = this.keys.get(documentId)

    if (key == null) {
      const bytes = (await documentKey(documentId)).multihash.digest
      key = { bytes, hex: base16.baseEncode(bytes) }
      this.keys.set(documentId, key)
    }

    return key
  }
}

/**
 * The keys in a question or answer; a length that is not a whole number of keys is a peer that
 * does not speak this protocol.
 */
function hexKeysOf (bytes: Uint8Array): string[] {
  if (bytes.byteLength % KEY_BYTES !== 0) {
    throw new Error(`A list of document keys of ${bytes.byteLength} bytes is not a whole number of ${KEY_BYTES}-byte keys`)
  }

  const keys: string[] = []

  for (let i = 0; i < bytes.byteLength; i += KEY_BYTES) {
    keys.push(base16.baseEncode(bytes.subarray(i, i + KEY_BYTES)))
  }

  return keys
}

function concat (keys: Key[]): Uint8Array {
  const out = new Uint8Array(keys.length * KEY_BYTES)
  keys.forEach((key, i) => { out.set(key.bytes, i * KEY_BYTES) })
  return out
}
