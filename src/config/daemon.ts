/**
 * libp2p options of the `daemon` role: a peer on a laptop or a LAN host. TCP and WebSocket
 * listeners, mDNS discovery, optional bootstrap list, circuit relay transport (it can reach and be
 * reached through relays), AutoNAT and DCUtR so a relayed connection can become a direct one.
 */
import { autoNAT } from '@libp2p/autonat'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { mdns } from '@libp2p/mdns'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { bootstrapDiscovery, commonConnectionOptions, commonServices } from './common.ts'
import { DEFAULT_INBOUND_CONNECTION_THRESHOLD_DAEMON, DEFAULT_MAX_CONNECTIONS_DAEMON } from './constants.ts'
import type { ConfigInit } from './types.ts'
import type { Libp2pOptions } from 'libp2p'

export function daemonOptions (init: ConfigInit): Libp2pOptions<any> {
  const host = init.host ?? '0.0.0.0'
  const ports = init.ports ?? {}

  const peerDiscovery = [
    ...(init.mdns ?? true ? [mdns()] : []),
    ...bootstrapDiscovery(init.bootstrap)
  ]

  return {
    addresses: {
      listen: init.listen ?? [
        `/ip4/${host}/tcp/${ports.tcp ?? 0}`,
        `/ip4/${host}/tcp/${ports.ws ?? 0}/ws`,
        // take relay reservations on relay servers this peer connects to, so peers that cannot
        // dial it directly (browsers, peers behind NAT) still can through the relay
        '/p2p-circuit'
      ],
      announce: init.announce ?? []
    },
    transports: [
      tcp(),
      webSockets(),
      circuitRelayTransport()
    ],
    ...commonConnectionOptions(),
    peerDiscovery,
    connectionManager: {
      maxConnections: init.maxConnections ?? DEFAULT_MAX_CONNECTIONS_DAEMON,
      inboundConnectionThreshold: init.inboundConnectionThreshold ?? DEFAULT_INBOUND_CONNECTION_THRESHOLD_DAEMON,
      maxIncomingPendingConnections: init.maxIncomingPendingConnections
    },
    services: {
      ...commonServices(),
      autoNAT: autoNAT(),
      dcutr: dcutr()
    }
  }
}
