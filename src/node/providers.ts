/**
 * Documents found by id over the DHT: a peer that holds a document announces a provider record
 * for it, and a peer looking for a document no connected peer has looks the providers up, dials
 * them and opens sync with them.
 *
 * The record's key is a CID of sha256(`docpeer-doc:` + document id), not the document id: the DHT
 * servers that store it (and anyone watching queries) learn that some peer holds *a* document,
 * not which; a peer that already knows the URL can compute the key. Records are announced a few at
 * a time (a provide is a DHT query), and not at all while the DHT has no server to send them to.
 */
import { Queue } from '@libp2p/utils'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import type { DocumentId } from '@automerge/automerge-repo'
import type { Connection, Libp2p, Logger, PeerInfo } from '@libp2p/interface'

/**
 * The prefix hashed with the document id into the provider key.
 */
export const DOCUMENT_KEY_PREFIX = 'docpeer-doc:'

/**
 * Provider announcements in flight at once.
 */
const ANNOUNCE_CONCURRENCY = 4

/**
 * How long one announcement may take, in ms.
 */
const ANNOUNCE_TIMEOUT = 30_000

/**
 * Providers dialed at once for one lookup.
 */
const DIAL_CONCURRENCY = 3

/**
 * How long a lookup (providers found, dialed and synced) may take unless the caller says, in ms.
 */
export const DEFAULT_LOOKUP_TIMEOUT = 15_000

const encoder = new TextEncoder()

/**
 * The DHT key under which holders of `documentId` announce themselves.
 */
export async function documentKey (documentId: string): Promise<CID> {
  const digest = await sha256.digest(encoder.encode(DOCUMENT_KEY_PREFIX + documentId))
  return CID.createV1(raw.code, digest)
}

/**
 * The slice of a kad-dht service this module reads: whether there is any server to talk to, and
 * the protocol a server speaks.
 */
interface RoutingTableView {
  protocol?: string
  routingTable?: {
    size: number
    addEventListener(type: 'peer:add', listener: () => void): void
    removeEventListener(type: 'peer:add', listener: () => void): void
  }
}

export interface DocumentRoutingInit {
  /**
   * Opens document sync over a connection; resolves once the peer is up.
   */
  syncWith(connection: Connection, options: { signal: AbortSignal, documentId: string }): Promise<unknown>
}

export class DocumentRouting {
  private readonly libp2p: Libp2p
  private readonly log: Logger
  private readonly init: DocumentRoutingInit
  private readonly announced = new Set<string>()
  private readonly queue: string[] = []
  private running = 0
  private readonly controller = new AbortController()
  private waitingForServers = false

  constructor (libp2p: Libp2p, init: DocumentRoutingInit) {
    this.libp2p = libp2p
    this.init = init
    this.log = libp2p.logger.forComponent('docpeer:providers')
  }

  stop (): void {
    this.controller.abort()
    this.queue.length = 0
  }

  /**
   * Announces that this peer holds `documentId` (once per document and run; kad-dht republishes
   * its records before they expire).
   */
  announce (documentId: DocumentId): void {
    if (this.announced.has(documentId) || this.controller.signal.aborted) {
      return
    }

    this.announced.add(documentId)
    this.queue.push(documentId)
    this.pump()
  }

  private get dht (): RoutingTableView | undefined {
    return this.libp2p.services.dht as RoutingTableView | undefined
  }

  private get routingTable (): RoutingTableView['routingTable'] {
    return this.dht?.routingTable
  }

  private pump (): void {
    const table = this.routingTable

    if (table != null && table.size === 0) {
      // kad-dht holds every query until its routing table has a peer: wait here instead, so the
      // queue does not fill with announcements that all time out
      if (!this.waitingForServers) {
        this.waitingForServers = true
        const onAdd = (): void => {
          table.removeEventListener('peer:add', onAdd)
          this.waitingForServers = false
          this.pump()
        }
        table.addEventListener('peer:add', onAdd)
        this.controller.signal.addEventListener('abort', () => { table.removeEventListener('peer:add', onAdd) }, { once: true })
      }
      return
    }

    while (this.running < ANNOUNCE_CONCURRENCY && this.queue.length > 0) {
      const documentId = this.queue.shift() as string
      this.running++
      this.provide(documentId)
        .catch(err => { this.log('could not announce a document - %e', err) })
        .finally(() => {
          this.running--
          this.pump()
        })
    }
  }

  private async provide (documentId: string): Promise<void> {
    const key = await documentKey(documentId)
    const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(ANNOUNCE_TIMEOUT)])
    await this.libp2p.contentRouting.provide(key, { signal })
    this.log('announced %c', key)
  }

  /**
   * Looks up the providers of `documentId`, dials them (or takes the connection there is) and
   * opens sync with them. Resolves with the number of providers sync was opened with, once `until`
   * resolves or every provider found was tried.
   */
  async connectProviders (documentId: string, until: Promise<unknown>, signal: AbortSignal): Promise<number> {
    if (!await this.serverInSight()) {
      this.log('no DHT server to ask for the providers of %s', documentId)
      return 0
    }

    const key = await documentKey(documentId)
    // the query ends when `until` does: kad-dht holds a query while its routing table is empty (a
    // LAN without servers), and the document may have come from a connected peer meanwhile
    const ended = new AbortController()
    const lookupSignal = AbortSignal.any([signal, this.controller.signal, ended.signal])
    const tried = new Set<string>()
    const dials = new Queue<boolean>({ concurrency: DIAL_CONCURRENCY })
    const opened: Array<Promise<boolean>> = []
    until.then(() => { ended.abort() }, () => {})

    try {
      for await (const provider of this.libp2p.contentRouting.findProviders(key, { signal: lookupSignal })) {
        if (ended.signal.aborted) {
          break
        }

        this.log('found provider %p of %c', provider.id, key)

        if (provider.id.equals(this.libp2p.peerId) || tried.has(provider.id.toString())) {
          continue
        }

        tried.add(provider.id.toString())
        opened.push(dials.add(async () => this.openSync(provider, documentId, lookupSignal)))
      }
    } catch (err) {
      this.log('provider lookup for %c ended - %e', key, err)
    }

    this.log('lookup for %c done, %d providers to try', key, tried.size)
    const results = await Promise.all(opened)
    return results.filter(Boolean).length
  }

  /**
   * Whether a DHT server is in the routing table or may be on its way there. kad-dht holds a query
   * until its routing table has a peer: with none there, none being dialed, and every connected peer
   * identified as no DHT server (a LAN of daemons, every server down), a find of a document that no
   * neighbour has would wait out its lookup timeout to say "unavailable".
   */
  private async serverInSight (): Promise<boolean> {
    const dht = this.dht
    const table = dht?.routingTable

    if (table == null || table.size > 0 || this.libp2p.getDialQueue().length > 0) {
      return true
    }

    for (const connection of this.libp2p.getConnections()) {
      const peer = await this.libp2p.peerStore.get(connection.remotePeer).catch(() => undefined)

      // not identified yet: it may be a DHT server, joining the table once it is
      if (peer == null || peer.protocols.length === 0 || peer.protocols.includes(dht?.protocol ?? '')) {
        return true
      }
    }

    return false
  }

  private async openSync (provider: PeerInfo, documentId: string, signal: AbortSignal): Promise<boolean> {
    try {
      if (provider.multiaddrs.length > 0) {
        await this.libp2p.peerStore.merge(provider.id, { multiaddrs: provider.multiaddrs })
      }

      const connection = await this.libp2p.dial(provider.id, { signal })
      await this.init.syncWith(connection, { signal, documentId })
      this.log('opened sync with provider %p', provider.id)
      return true
    } catch (err) {
      this.log('could not open sync with provider %p - %e', provider.id, err)
      return false
    }
  }
}
