/**
 * Keeps a peer connected to the peers the user named (`bootstrap`, and peers remembered with
 * `syncWith(..., { keepAlive: true })`), through outages of any length.
 *
 * libp2p's own machinery does not: `@libp2p/bootstrap` dials its list once at start (a peer that is
 * down then is never dialed again), and the reconnect queue gives up on a `keep-alive` tagged peer
 * after 5 tries (about 31 s) and removes the tag. Measured before this module: a daemon started while
 * its bootstrap server was down stayed unconnected after 150 s; after a 45 s outage it did not
 * reconnect within 30 s of the server's return.
 *
 * This dials each wanted peer that is not connected, retrying with jittered exponential backoff
 * (forever; a connection from either side resets it). Of the bootstrap peers it keeps at least
 * `connections` connected (all of them when there are fewer): it dials the others only while
 * fewer are up, so a client given many servers holds a few connections and fails over to the rest.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { CODE_P2P } from '@multiformats/multiaddr'
import { parseMultiaddr } from './multiaddr.ts'
import type { Libp2p, Logger, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * First retry after this many ms; each failure doubles it (with +-25% jitter, so peers that lost
 * the same server do not come back in step), up to `DEFAULT_RETRY_MAX_DELAY`.
 */
export const DEFAULT_RETRY_MIN_DELAY = 1_000
export const DEFAULT_RETRY_MAX_DELAY = 30_000

/**
 * Tag of kept peers in the peer store: protects their connections from pruning. Not `keep-alive`
 * prefixed, so libp2p's reconnect queue (which gives up and drops the tag) leaves them to this module.
 */
export const KEPT_PEER_TAG = 'docpeer-kept'
const KEPT_PEER_TAG_VALUE = 50

export interface RetryOptions {
  /**
   * @default 1000
   */
  minDelay?: number

  /**
   * @default 30000
   */
  maxDelay?: number
}

export interface BootstrapKeeperInit extends RetryOptions {
  /**
   * Multiaddrs with `/p2p/<peer id>`.
   */
  bootstrap: string[]

  /**
   * How many of the bootstrap peers to stay connected to.
   */
  connections: number
}

interface Entry {
  id: PeerId
  addrs: Multiaddr[]
  /** a bootstrap peer (counted against `connections`) or a peer kept on its own */
  bootstrap: boolean
  always: boolean
  failures: number
  retryAt: number
  dialing: boolean
}

export class BootstrapKeeper {
  private readonly libp2p: Libp2p
  private readonly log: Logger
  private readonly entries = new Map<string, Entry>()
  private readonly connections: number
  private readonly minDelay: number
  private readonly maxDelay: number
  private timer?: ReturnType<typeof setTimeout>
  private timerAt = Infinity
  private running = false
  private listening = false
  private readonly onConnect = (evt: CustomEvent<PeerId>): void => {
    const entry = this.entries.get(evt.detail.toString())

    if (entry != null) {
      entry.failures = 0
      entry.retryAt = 0
    }
  }

  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    if (this.entries.has(evt.detail.toString()) || this.bootstrapCount() > 0) {
      this.fill()
    }
  }

  constructor (libp2p: Libp2p, init: BootstrapKeeperInit) {
    this.libp2p = libp2p
    this.log = libp2p.logger.forComponent('docpeer:bootstrap-keeper')
    this.connections = Math.max(1, init.connections)
    this.minDelay = init.minDelay ?? DEFAULT_RETRY_MIN_DELAY
    this.maxDelay = Math.max(this.minDelay, init.maxDelay ?? DEFAULT_RETRY_MAX_DELAY)

    // shuffled: clients given the same list spread over the servers instead of all taking the first
    for (const { id, addrs } of shuffle(parseBootstrapList(init.bootstrap))) {
      this.entries.set(id.toString(), { id, addrs, bootstrap: true, always: false, failures: 0, retryAt: 0, dialing: false })
    }
  }

  async start (): Promise<void> {
    this.running = true

    if (this.entries.size > 0) {
      this.listen()
    }

    // addresses and the tag into the peer store: dials by peer id (and the DHT) find them there
    await Promise.all([...this.entries.values()].map(async entry => { await this.remember(entry) }))
    this.fill()
  }

  /**
   * Follows connections only when there is a peer to keep: a server with no bootstrap list takes
   * thousands of connections it need not look at.
   */
  private listen (): void {
    if (!this.listening) {
      this.listening = true
      this.libp2p.addEventListener('peer:connect', this.onConnect)
      this.libp2p.addEventListener('peer:disconnect', this.onDisconnect)
    }
  }

  stop (): void {
    this.running = false
    this.listening = false
    this.libp2p.removeEventListener('peer:connect', this.onConnect)
    this.libp2p.removeEventListener('peer:disconnect', this.onDisconnect)
    clearTimeout(this.timer)
    this.timer = undefined
  }

  /**
   * Keeps `id` connected on its own, beside the bootstrap peers.
   */
  async keep (id: PeerId, addrs: Multiaddr[] = []): Promise<void> {
    const key = id.toString()
    const entry: Entry = this.entries.get(key) ?? { id, addrs: [], bootstrap: false, always: true, failures: 0, retryAt: 0, dialing: false }
    entry.always = true
    entry.addrs.push(...addrs.filter(ma => !entry.addrs.some(known => known.equals(ma))))
    this.entries.set(key, entry)
    this.listen()
    await this.remember(entry)
    this.fill()
  }

  /**
   * Stops keeping `id` (a bootstrap peer stays one).
   */
  async forget (id: PeerId): Promise<void> {
    const entry = this.entries.get(id.toString())

    if (entry == null) {
      return
    }

    entry.always = false

    if (!entry.bootstrap) {
      this.entries.delete(id.toString())
      await this.libp2p.peerStore.merge(id, { tags: { [KEPT_PEER_TAG]: undefined } })
    }
  }

  private async remember (entry: Entry): Promise<void> {
    await this.libp2p.peerStore.merge(entry.id, {
      multiaddrs: entry.addrs.map(ma => ma.decapsulateCode(CODE_P2P)),
      tags: { [KEPT_PEER_TAG]: { value: KEPT_PEER_TAG_VALUE } }
    }).catch(err => { this.log.error('could not remember %p - %e', entry.id, err) })
  }

  private connected (entry: Entry): boolean {
    return this.libp2p.getConnections(entry.id).some(connection => connection.status === 'open')
  }

  private bootstrapCount (): number {
    let count = 0
    this.entries.forEach(entry => { count += entry.bootstrap ? 1 : 0 })
    return count
  }

  /**
   * Dials what is wanted now; sets the timer for what is wanted later.
   */
  private fill (): void {
    if (!this.running) {
      return
    }

    const now = Date.now()
    let next = Infinity
    let bootstrapUp = 0
    const bootstrapWaiting: Entry[] = []

    for (const entry of this.entries.values()) {
      const up = this.connected(entry)

      if (entry.bootstrap && (up || entry.dialing)) {
        bootstrapUp++
      }

      if (up || entry.dialing) {
        continue
      }

      if (entry.always) {
        if (entry.retryAt <= now) {
          this.dial(entry)
        } else {
          next = Math.min(next, entry.retryAt)
        }
      } else if (entry.bootstrap) {
        bootstrapWaiting.push(entry)
      }
    }

    const wanted = Math.min(this.connections, this.bootstrapCount())
    let missing = wanted - bootstrapUp

    for (const entry of bootstrapWaiting) {
      if (missing <= 0) {
        break
      }

      if (entry.retryAt <= now) {
        this.dial(entry)
        missing--
      }
    }

    if (missing > 0) {
      // the earliest retry of the bootstrap peers still down
      for (const entry of bootstrapWaiting) {
        if (!entry.dialing) {
          next = Math.min(next, entry.retryAt)
        }
      }
    }

    this.schedule(next)
  }

  private schedule (at: number): void {
    if (at === Infinity || (this.timer != null && this.timerAt <= at)) {
      return
    }

    clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.timerAt = Infinity
      this.fill()
    }, Math.max(0, at - Date.now()))
  }

  private dial (entry: Entry): void {
    entry.dialing = true
    this.log('dialing %p (failures so far %d)', entry.id, entry.failures)

    // by peer id: libp2p tries every address the peer store has for it, including ones identify
    // or the DHT learned since
    this.libp2p.dial(entry.id)
      .then(() => {
        entry.failures = 0
        entry.retryAt = 0
      }, err => {
        entry.failures++
        const delay = Math.min(this.maxDelay, this.minDelay * 2 ** (entry.failures - 1)) * (0.75 + Math.random() * 0.5)
        entry.retryAt = Date.now() + delay
        this.log('could not dial %p, retrying in %d ms - %e', entry.id, Math.round(delay), err)
      })
      .finally(() => {
        entry.dialing = false
        this.fill()
      })
  }
}

/**
 * The peers of a bootstrap list, their addresses grouped by peer id. Throws `InvalidMultiaddrError`
 * for a malformed address and a `TypeError` for one without `/p2p/<peer id>`.
 */
export function parseBootstrapList (list: string[]): Array<{ id: PeerId, addrs: Multiaddr[] }> {
  const peers = new Map<string, { id: PeerId, addrs: Multiaddr[] }>()

  for (const text of list) {
    const ma = parseMultiaddr(text)
    const value = ma.getComponents().findLast(component => component.code === CODE_P2P)?.value

    if (value == null) {
      throw new TypeError(`Bootstrap address ${ma.toString()} has no /p2p/<peer id>: a bootstrap peer is dialed and kept by its id`)
    }

    const id = peerIdFromString(value)
    const peer = peers.get(id.toString()) ?? { id, addrs: [] }
    peer.addrs.push(ma)
    peers.set(id.toString(), peer)
  }

  return [...peers.values()]
}

function shuffle<T> (items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[items[i], items[j]] = [items[j], items[i]]
  }

  return items
}
