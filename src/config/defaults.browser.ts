/**
 * libp2p options for browser peers, swapped in for `defaults.ts` by the package.json "browser"
 * field. A browser cannot listen on sockets: it dials servers over WebSockets (WSS in production),
 * dials servers without a certificate over WebRTC Direct, takes relay reservations (`/p2p-circuit`)
 * and accepts WebRTC connections from other browsers through them (`/webrtc`).
 */
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { webRTC, webRTCDirect } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { WebRTC } from '@multiformats/multiaddr-matcher'
import { bootstrapDiscovery, commonConnectionOptions, commonServices } from './common.ts'
import { DEFAULT_MAX_CONNECTIONS_BROWSER } from './constants.ts'
import { addressDiscovery } from './discovery.ts'
import type { ConfigInit, PeerRole } from './types.ts'
import type { Libp2pOptions } from 'libp2p'

export type { ConfigInit, PeerRole, TlsPem, RelayServerLimits, Ports, IceServer } from './types.ts'

export const DEFAULT_ROLE: PeerRole = 'browser'

export const SUPPORTED_ROLES: readonly PeerRole[] = ['browser']

export async function libp2pDefaults (init: ConfigInit = {}): Promise<Libp2pOptions<any>> {
  const role = init.role ?? DEFAULT_ROLE

  if (!SUPPORTED_ROLES.includes(role)) {
    throw new TypeError(`Unknown role "${role}" for a browser peer: browsers can only take the "browser" role`)
  }

  // without iceServers libp2p uses its public STUN servers, which a browser behind NAT needs
  const rtcConfiguration = init.iceServers == null ? undefined : { iceServers: init.iceServers }

  const peerDiscovery = [
    // pages connected to the same server find each other through it (it forwards the topic)
    addressDiscovery(),
    ...bootstrapDiscovery(init.bootstrap)
  ]

  const options: Libp2pOptions<any> = {
    addresses: {
      listen: init.listen ?? [
        '/p2p-circuit',
        '/webrtc'
      ],
      announce: init.announce ?? [],
      // sync only runs over direct connections: where the relay gave a WebRTC address, announce
      // that and not the plain relayed one, so peers that find this one dial it over WebRTC
      announceFilter: (addrs) => {
        const webrtc = addrs.filter(ma => WebRTC.matches(ma))
        return webrtc.length > 0 ? webrtc : addrs
      }
    },
    transports: [
      webSockets(),
      webRTC({ rtcConfiguration }),
      webRTCDirect({ rtcConfiguration }),
      circuitRelayTransport()
    ],
    ...commonConnectionOptions(),
    peerDiscovery,
    connectionManager: {
      maxConnections: init.maxConnections ?? DEFAULT_MAX_CONNECTIONS_BROWSER
    },
    services: commonServices()
  }

  if (init.allowInsecureWebSockets === true) {
    // libp2p's browser gater refuses private and loopback addresses, where a development server
    // runs; the WebSocket transport itself dials ws:// as well as wss://
    options.connectionGater = {
      denyDialMultiaddr: async () => false
    }
  }

  return options
}
