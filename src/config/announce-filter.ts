/**
 * Which of a NATed peer's relayed addresses are worth announcing. The circuit relay client builds a
 * `/p2p-circuit` address on every address the relay reports, loopback and WebRTC Direct ones
 * included: `/ip4/127.0.0.1/tcp/4101/p2p/<relay>/p2p-circuit` is useless to anyone on another
 * machine and `/udp/.../webrtc-direct/.../p2p-circuit` only to browsers that could dial the relay
 * directly anyway. Those are dropped when the same relay gives a better one (so a test relay on
 * 127.0.0.1 still works). Where a relay gives a `/p2p-circuit/webrtc` address, the plain relayed one
 * through that relay is dropped too: peers that find this one should dial it over WebRTC (a direct
 * connection, where sync runs), not open a limited relayed connection that never upgrades.
 */
import type { Multiaddr } from '@multiformats/multiaddr'

const CIRCUIT = '/p2p-circuit'

interface Relayed {
  ma: Multiaddr
  /** the relay's own address, before `/p2p-circuit` */
  relay: string
  /** what follows `/p2p-circuit` up to this peer's id: '' or '/webrtc' */
  over: string
}

function relayed (ma: Multiaddr): Relayed | undefined {
  const text = ma.toString()
  const at = text.indexOf(CIRCUIT)

  if (at < 0) {
    return undefined
  }

  const rest = text.slice(at + CIRCUIT.length)
  return { ma, relay: text.slice(0, at), over: rest.startsWith('/webrtc') ? '/webrtc' : '' }
}

function isPoorRelayAddress (relay: string): boolean {
  return /^\/ip4\/127\.|^\/ip6\/::1\//.test(relay) || relay.includes('/webrtc-direct')
}

function relayPeer (relay: string): string {
  return relay.slice(relay.lastIndexOf('/p2p/') + 5)
}

export function relayedAddressFilter (addrs: Multiaddr[]): Multiaddr[] {
  const circuits = addrs.map(relayed)
  const good = circuits.filter((c): c is Relayed => c != null && !isPoorRelayAddress(c.relay))

  return addrs.filter((_, i) => {
    const c = circuits[i]

    if (c == null) {
      return true
    }

    const peer = relayPeer(c.relay)

    if (isPoorRelayAddress(c.relay) && good.some(g => relayPeer(g.relay) === peer && g.over === c.over)) {
      return false
    }

    // a plain relayed address, where the same relay address also carries WebRTC
    return !(c.over === '' && circuits.some(o => o != null && o.over === '/webrtc' && o.relay === c.relay))
  })
}
