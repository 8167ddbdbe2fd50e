/**
 * libp2p v3 has no auto-dialer: discovery modules (mDNS, pubsub discovery) only add what they find
 * to the peer store and emit `peer:discovery`. A docpeer on a LAN is expected to connect to the
 * peers it discovers, so this dials each discovered peer it has no connection to yet, while the
 * node is under its connection limit and the connections it dialed this way are fewer than
 * `maxDialed` (see DEFAULT_DISCOVERED_DIALS: on a busy server's topic, dialing everyone found
 * would connect every peer to every other).
 */
import { InvalidParametersError } from '@libp2p/interface'
import { DEFAULT_DISCOVERED_DIALS } from '../config/constants.ts'
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
}

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

  const onDiscovery = (evt: CustomEvent<PeerInfo>): void => {
    const { id } = evt.detail
    const key = id.toString()

    if (id.equals(libp2p.peerId) || dialing.has(key) || libp2p.getConnections(id).length > 0) {
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
    log('dialing discovered peer %p', id)

    libp2p.dial(id)
      .then(connection => {
        // a connection that closed before the dial resolved counts for nothing
        if (connection.status === 'open') {
          dialed.add(key)
        }
      })
      .catch(err => { log('could not dial discovered peer %p - %e', id, err) })
      .finally(() => { dialing.delete(key) })
  }

  const onDisconnect = (evt: CustomEvent<PeerId>): void => {
    dialed.delete(evt.detail.toString())
  }

  libp2p.addEventListener('peer:discovery', onDiscovery)
  libp2p.addEventListener('peer:disconnect', onDisconnect)

  return () => {
    libp2p.removeEventListener('peer:discovery', onDiscovery)
    libp2p.removeEventListener('peer:disconnect', onDisconnect)
  }
}
