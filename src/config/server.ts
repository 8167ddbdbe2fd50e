/**
 * libp2p options of the `server` role: a public peer browsers and daemons dial. TCP, WebSocket,
 * WebRTC Direct (UDP, for browsers when there is no certificate) and (given a certificate) secure
 * WebSocket listeners, `announce` addresses, a circuit relay v2 server with limits.
 */
// first: it swaps node-datachannel's IceUdpMuxListener before @libp2p/webrtc loads it
import './ice-udp-mux-guard.ts'
import { autoNAT } from '@libp2p/autonat'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { keychain } from '@libp2p/keychain'
import { mdns } from '@libp2p/mdns'
import { pubsubPeerDiscovery } from '@libp2p/pubsub-peer-discovery'
import { tcp } from '@libp2p/tcp'
import { webRTCDirect } from '@libp2p/webrtc'
import { bootstrapDiscovery, commonConnectionOptions, commonServices } from './common.ts'
import {
  DEFAULT_DISCOVERY_TOPIC,
  DEFAULT_INBOUND_CONNECTION_THRESHOLD_SERVER,
  DEFAULT_MAX_INCOMING_PENDING_SERVER,
  DEFAULT_MAX_CONNECTIONS_SERVER,
  DEFAULT_RELAY_DATA_LIMIT,
  DEFAULT_RELAY_DURATION_LIMIT,
  DEFAULT_RELAY_MAX_RESERVATIONS,
  SERVER_PING_INTERVAL,
  SERVER_PING_MAX_TIMEOUT,
  SERVER_PING_MIN_TIMEOUT
} from './constants.ts'
import { resolveTls } from './tls.ts'
import { guardedWebSockets } from './websocket-listener-errors.ts'
import type { ConfigInit, RelayServerLimits } from './types.ts'
import type { Libp2pOptions } from 'libp2p'

/**
 * The relay server of the `server` role, with its limits.
 */
function relayServer (relay: RelayServerLimits = {}): ReturnType<typeof circuitRelayServer> {
  return circuitRelayServer({
    reservations: {
      maxReservations: relay.maxReservations ?? DEFAULT_RELAY_MAX_RESERVATIONS,
      defaultDataLimit: relay.dataLimit ?? DEFAULT_RELAY_DATA_LIMIT,
      defaultDurationLimit: relay.durationLimit ?? DEFAULT_RELAY_DURATION_LIMIT,
      applyDefaultLimit: relay.applyLimits ?? true
    }
  })
}

export function serverOptions (init: ConfigInit): Libp2pOptions<any> {
  const host = init.host ?? '0.0.0.0'
  const ports = init.ports ?? {}
  const tls = init.tls == null ? undefined : resolveTls(init.tls)

  const listen = init.listen ?? [
    `/ip4/${host}/tcp/${ports.tcp ?? 0}`,
    `/ip4/${host}/tcp/${ports.ws ?? 0}/ws`,
    // browsers dial this with the certificate hash in the multiaddr: no TLS certificate needed
    `/ip4/${host}/udp/${ports.webrtcDirect ?? 0}/webrtc-direct`
  ]

  // with a certificate, WSS gets a listener of its own: browsers on https pages can only dial wss
  if (init.listen == null && tls != null) {
    listen.push(`/ip4/${host}/tcp/${ports.wss ?? 0}/tls/ws`)
  }

  const peerDiscovery = [
    // subscribed, so gossipsub forwards the browsers' announcements between them; listen only:
    // browsers dial the server by address, they need not discover it
    pubsubPeerDiscovery({ topics: [DEFAULT_DISCOVERY_TOPIC], listenOnly: true }),
    ...(init.mdns ?? false ? [mdns()] : []),
    ...bootstrapDiscovery(init.bootstrap)
  ]

  return {
    addresses: {
      listen,
      announce: init.announce ?? []
    },
    transports: [
      tcp(),
      guardedWebSockets(tls == null ? {} : { https: tls }),
      webRTCDirect({
        // libp2p's default is public STUN servers: a server dialed at a known address needs none
        rtcConfiguration: { iceServers: init.iceServers ?? [] }
      }),
      circuitRelayTransport()
    ],
    ...commonConnectionOptions(),
    connectionMonitor: {
      pingInterval: SERVER_PING_INTERVAL,
      pingTimeout: { minTimeout: SERVER_PING_MIN_TIMEOUT, maxTimeout: SERVER_PING_MAX_TIMEOUT }
    },
    peerDiscovery,
    connectionManager: {
      maxConnections: init.maxConnections ?? DEFAULT_MAX_CONNECTIONS_SERVER,
      inboundConnectionThreshold: init.inboundConnectionThreshold ?? DEFAULT_INBOUND_CONNECTION_THRESHOLD_SERVER,
      maxIncomingPendingConnections: init.maxIncomingPendingConnections ?? DEFAULT_MAX_INCOMING_PENDING_SERVER
    },
    services: {
      ...commonServices(),
      autoNAT: autoNAT(),
      // WebRTC Direct keeps its certificate's key here (in the data directory), so the certhash in
      // the server's /webrtc-direct address survives restarts until the certificate is renewed
      keychain: keychain(),
      relay: relayServer(init.relay)
    }
  }
}
