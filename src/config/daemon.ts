/**
 * libp2p options of the `daemon` role: a peer on a laptop or a LAN host. TCP and WebSocket
 * listeners, mDNS discovery, optional bootstrap list, circuit relay transport (it can reach and be
 * reached through relays), AutoNAT and DCUtR so a relayed connection can become a direct one.
 *
 * WebRTC (`/webrtc` beside `/p2p-circuit`): two daemons behind NATs that hold reservations on the
 * same server signal through it and get a direct connection (STUN from `iceServers`; DCUtR cannot
 * punch TCP from Node), and pubsub peer discovery on the server's topic lets them find each other,
 * as browsers do. See `nat.ts`.
 */
import { autoNAT } from '@libp2p/autonat'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { mdns } from '@libp2p/mdns'
import { tcp } from '@libp2p/tcp'
import { bootstrapDiscovery, commonConnectionOptions, commonServices } from './common.ts'
import { DEFAULT_INBOUND_CONNECTION_THRESHOLD_DAEMON, DEFAULT_MAX_CONNECTIONS_DAEMON } from './constants.ts'
import { natListen, natPeerDiscovery, natTransports, natAnnounceFilter } from './nat.ts'
import { guardedWebSockets } from './websocket-listener-errors.ts'
import type { ConfigInit } from './types.ts'
import type { Libp2pOptions } from 'libp2p'

export function daemonOptions (init: ConfigInit): Libp2pOptions<any> {
  const host = init.host ?? '0.0.0.0'
  const ports = init.ports ?? {}

  const peerDiscovery = [
    ...(init.mdns ?? true ? [mdns()] : []),
    ...bootstrapDiscovery(init.bootstrap),
    ...natPeerDiscovery()
  ]

  return {
    addresses: {
      listen: init.listen ?? [
        `/ip4/${host}/tcp/${ports.tcp ?? 0}`,
        `/ip4/${host}/tcp/${ports.ws ?? 0}/ws`,
        // take relay reservations on relay servers this peer connects to, so peers that cannot
        // dial it directly (browsers, peers behind NAT) still can through the relay
        '/p2p-circuit',
        ...natListen()
      ],
      announce: init.announce ?? [],
      announceFilter: natAnnounceFilter
    },
    transports: [
      tcp(),
      guardedWebSockets(),
      circuitRelayTransport(),
      ...natTransports(init.iceServers)
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
