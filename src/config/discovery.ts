/**
 * Pubsub peer discovery on docpeer's topic, announcing only when there is something to dial.
 *
 * `@libp2p/pubsub-peer-discovery` publishes this peer's addresses every interval even when it has
 * none (a daemon started with `listen: []`, a page before its relay reservation is up). Every such
 * message still costs the server a signature check and a forward to its mesh, and costs every peer
 * in the mesh a message to decode: with 200 address-less peers on one server, about a tenth of the
 * peers' idle CPU was these announcements and the traffic they made (capacity runs, issue 13).
 * A peer with no address gives the others nothing to dial, so it stays quiet until it has one.
 */
import { PubSubPeerDiscovery } from '@libp2p/pubsub-peer-discovery'
import { DEFAULT_DISCOVERY_INTERVAL, DEFAULT_DISCOVERY_TOPIC } from './constants.ts'
import type { PeerDiscovery } from '@libp2p/interface'
import type { PubSubPeerDiscoveryComponents, PubsubPeerDiscoveryInit } from '@libp2p/pubsub-peer-discovery'

class AddressDiscovery extends PubSubPeerDiscovery {
  private readonly addresses: PubSubPeerDiscoveryComponents['addressManager']

  constructor (components: PubSubPeerDiscoveryComponents, init: PubsubPeerDiscoveryInit) {
    super(components, init)
    this.addresses = components.addressManager
  }

  _broadcast (): void {
    if (this.addresses.getAddresses().length === 0) {
      return
    }

    super._broadcast()
  }
}

/**
 * Announces this peer's addresses on docpeer's discovery topic every `interval` while it has any,
 * and reports the peers others announce there.
 */
export function addressDiscovery (init: Pick<PubsubPeerDiscoveryInit, 'interval'> = {}): (components: PubSubPeerDiscoveryComponents) => PeerDiscovery {
  return components => new AddressDiscovery(components, { topics: [DEFAULT_DISCOVERY_TOPIC], interval: init.interval ?? DEFAULT_DISCOVERY_INTERVAL })
}
