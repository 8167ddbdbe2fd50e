/**
 * libp2p v3 has no auto-dialer: discovery modules (mDNS, pubsub discovery) only add what they find
 * to the peer store and emit `peer:discovery`. A docpeer on a LAN is expected to connect to the
 * peers it discovers, so this dials each discovered peer it has no connection to yet, while the
 * node is under its connection limit and the connections it dialed this way are fewer than
 * `maxDialed` (see DEFAULT_DISCOVERED_DIALS: on a busy server's topic, dialing everyone found
 * would connect every peer to every other).
 *
 * Two peers usually discover each other at about the same time (each hears the other's
 * announcement, or the answer to its own), and libp2p keeps every connection it makes: both dialing
 * left two connections between them (two WebRTC peer connections between two pages, seen in the
 * browser tests). So the peer whose id sorts first dials at once and the other waits `deferMs`
 * for that dial, then dials itself if no connection came (the first may be at its bound, unable
 * to reach it, or may not have heard of it).
 *
 * A failed dial is tried again, twice at most, further apart each time: a WebRTC handshake through
 * the relay timed out now and then on a loaded machine (browser tests, two busy cores), and
 * without a retry the two peers stayed apart until the next announcement, minutes later.
 */
import { InvalidParametersError } from '@libp2p/interface'
import { DEFAULT_DISCOVERED_DIALS } from '../config/constants.ts'
import { unlimitedConnection } from './unlimited-connection.ts'
import type { Libp2p, Logger, PeerId, PeerInfo } from '@libp2p/interface'

export interface DiscoveryDialerInit {
  /**
   * Stop dialing discovered peers once this many connections are open.
   */
  maxConnections: number

  /**
   * At most this many peers connected because this dialer dialed them (while connected).
   */
  maxDialed: number

  /**
   * How long the peer whose id sorts last waits for the other to dial before it dials, in ms
   * (default DEFAULT_DEFERRED_DIAL).
   */
  deferMs?: number
}

/**
 * Long enough for the other peer to hear of this one and dial: a peer answers a newcomer's
 * announcement within one discovery interval (5 s), and a WebRTC connection through a relay took
 * 0.5-3 s to set up in the browser tests.
 */
export const DEFAULT_DEFERRED_DIAL = 10_000

/** dials of one discovered peer, the first included, while it stays unreachable */
const DIAL_ATTEMPTS = 3

/**
 * How many discovered peers to keep dialed connections to, from `createPeer`'s `dialDiscovered`
 * (true: the default bound, false: none, a number: that bound).
 */
export function discoveredDials (option: boolean | number | undefined): number {
  if (option == null || option === true) {
    return DEFAULT_DISCOVERED_DIALS
  }

  if (option === false) {
    return 0
  }

  if (typeof option !== 'number' || !Number.isInteger(option) || option < 0) {
    throw new InvalidParametersError(`dialDiscovered must be true, false or a whole number of peers (0 or more), not ${JSON.stringify(option)}`)
  }

  return option
}

/**
 * Starts dialing discovered peers; the returned function stops it.
 */
export function dialDiscoveredPeers (libp2p: Libp2p, init: DiscoveryDialerInit): () => void {
  const log: Logger = libp2p.logger.forComponent('docpeer:discovery')
  const dialing = new Set<string>()
  // peers this dialer connected to, until they disconnect: what counts against maxDialed
  const dialed = new Set<string>()
  // peers to dial later: whose id sorts before this one's (waiting for them to dial), or whose
  // dial failed (waiting to try again)
  const deferred = new Map<string, ReturnType<typeof setTimeout>>()
  const self = libp2p.peerId.toString()
  const deferMs = init.deferMs ?? DEFAULT_DEFERRED_DIAL
  let stopped = false

  const later = (id: PeerId, ms: number, attempt: number): void => {
    const key = id.toString()
    const timer = setTimeout(() => {
      deferred.delete(key)
      dial(id, attempt)
    }, ms)
    // in Node.js, a pending wait must not keep a process alive that is otherwise done
    timer.unref?.()
    deferred.set(key, timer)
  }

  const dial = (id: PeerId, attempt = 1): void => {
    const key = id.toString()

    if (stopped || dialing.has(key) || unlimitedConnection(libp2p, id) != null) {
      return
    }

    if (libp2p.getConnections().length >= init.maxConnections) {
      log('not dialing discovered peer %p, at the connection limit', id)
      return
    }

    if (dialing.size + dialed.size >= init.maxDialed) {
      log.trace('not dialing discovered peer %p, %d discovered peers connected or dialing already', id, dialing.size + dialed.size)
      return
    }

    dialing.add(key)
    log('dialing discovered peer %p (attempt %d)', id, attempt)

    libp2p.dial(id)
      .then(connection => {
        // a connection that closed before the dial resolved counts for nothing
        if (connection.status === 'open') {
          dialed.add(key)
        }
      })
      .catch(err => {
        log('could not dial discovered peer %p - %e', id, err)

        // no address this node has a transport for stays so; anything else may pass next time
        if (attempt < DIAL_ATTEMPTS && err?.name !== 'NoValidAddressesError' && !stopped && !deferred.has(key)) {
          // jittered, so two peers that both failed do not try again at the same moment
          later(id, Math.round(2 * attempt * deferMs * (0.75 + Math.random() * 0.5)), attempt + 1)
        }
      })
      .finally(() => { dialing.delete(key) })
  }

  const onDiscovery = (evt: CustomEvent<PeerInfo>): void => {
    const { id } = evt.detail
    const key = id.toString()

    if (key === self || dialing.has(key) || deferred.has(key) || unlimitedConnection(libp2p, id) != null) {
      return
    }

    if (key < self) {
      log.trace('discovered peer %p dials first; dialing it in %d ms if it has not', id, deferMs)
      later(id, deferMs, 1)
      return
    }

    dial(id)
  }

  const onDisconnect = (evt: CustomEvent<PeerId>): void => {
    dialed.delete(evt.detail.toString())
  }

  libp2p.addEventListener('peer:discovery', onDiscovery)
  libp2p.addEventListener('peer:disconnect', onDisconnect)

  return () => {
    stopped = true
    deferred.forEach(timer => { clearTimeout(timer) })
    deferred.clear()
    libp2p.removeEventListener('peer:discovery', onDiscovery)
    libp2p.removeEventListener('peer:disconnect', onDisconnect)
  }
}
