/**
 * libp2p v3 has no auto-dialer: discovery modules (mDNS, pubsub discovery) only add what they find
 * to the peer store and emit `peer:discovery`. A docpeer on a LAN is expected to connect to the
 * peers it discovers, so this dials each discovered peer it has no connection to yet, while the
 * node is under its connection limit.
 */
import type { Libp2p, Logger, PeerInfo } from '@libp2p/interface'

export interface DiscoveryDialerInit {
  /**
   * Stop dialing discovered peers once this many connections are open.
   */
  maxConnections: number
}

/**
 * Starts dialing discovered peers; the returned function stops it.
 */
export function dialDiscoveredPeers (libp2p: Libp2p, init: DiscoveryDialerInit): () => void {
  const log: Logger = libp2p.logger.forComponent('docpeer:discovery')
  const dialing = new Set<string>()

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

    dialing.add(key)
    log('dialing discovered peer %p', id)

    libp2p.dial(id)
      .catch(err => { log('could not dial discovered peer %p - %e', id, err) })
      .finally(() => { dialing.delete(key) })
  }

  libp2p.addEventListener('peer:discovery', onDiscovery)

  return () => { libp2p.removeEventListener('peer:discovery', onDiscovery) }
}
