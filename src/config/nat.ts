/**
 * What a daemon adds to get past NATs: a WebRTC transport with a `/webrtc` listen address (its
 * relay reservations become `/p2p-circuit/webrtc` addresses), pubsub peer discovery on docpeer's
 * topic (the server forwards it, so daemons holding reservations on one server learn each other's
 * addresses), and the announce filter that keeps useful relayed addresses only.
 *
 * Measured in the NAT lab (`npm run lab`): DCUtR never upgrades two NATed Node daemons (identify
 * drops TCP observed addresses, js-libp2p#2620), WebRTC with a STUN server does.
 */
// first: it swaps node-datachannel's IceUdpMuxListener before @libp2p/webrtc loads it
import './ice-udp-mux-guard.ts'
import { webRTC, webRTCDirect } from '@libp2p/webrtc'
import { relayedAddressFilter } from './announce-filter.ts'
import { addressDiscovery } from './discovery.ts'
import type { IceServer } from './types.ts'
import type { Libp2pOptions } from 'libp2p'

export function natListen (): string[] {
  return ['/webrtc']
}

/**
 * WebRTC between peers that reach each other through a relay, and WebRTC Direct dials (to servers'
 * `/webrtc-direct` listeners; a daemon does not listen on it). No ICE servers unless given: libp2p's
 * default is public STUN servers, which docpeer never contacts unasked.
 */
export function natTransports (iceServers: IceServer[] = []): NonNullable<Libp2pOptions['transports']> {
  const rtcConfiguration = { iceServers }
  return [webRTC({ rtcConfiguration }), webRTCDirect({ rtcConfiguration })]
}

export function natPeerDiscovery (): NonNullable<Libp2pOptions['peerDiscovery']> {
  return [addressDiscovery()]
}

export const natAnnounceFilter = relayedAddressFilter
