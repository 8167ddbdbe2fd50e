/**
 * How a peer can be reached, from what libp2p knows: its own addresses, its relay reservations
 * (its `/p2p-circuit` addresses) and its open connections.
 *
 * `public`: it has a dialable non-relayed address outside the private, loopback and documentation
 * ranges (a listen address on a public interface or an `announce` address). `behind-nat`: it has no
 * such address but holds a relay reservation: others reach it through the relay, and directly over
 * WebRTC when both NATs allow it. `unknown`: neither (no relay connected yet, or a server on a
 * private address that needs `announce`).
 */
import { isLoopback, isPrivate } from '@libp2p/utils'
import type { Connection, Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export type ReachabilityStatus = 'public' | 'behind-nat' | 'unknown'

export type ConnectionKind = 'direct' | 'relayed' | 'webrtc' | 'webrtc-direct'

export interface ConnectionReachability {
  peer: string
  addr: string
  kind: ConnectionKind
  /** a relayed connection with data or time limits (sync does not run on it unless told to) */
  limited: boolean
}

export interface Reachability {
  status: ReachabilityStatus
  /** its non-relayed addresses that others on the internet can dial */
  publicAddresses: string[]
  /** peer ids of the relays holding a reservation for it */
  reservations: string[]
  connections: ConnectionReachability[]
}

const CIRCUIT = '/p2p-circuit'

export function connectionKind (connection: Pick<Connection, 'remoteAddr'>): ConnectionKind {
  const addr = connection.remoteAddr.toString()

  if (addr.includes('/webrtc-direct')) {
    return 'webrtc-direct'
  }

  // `/p2p-circuit/webrtc/...` on the dialing side, `/webrtc/p2p/<peer>` on the side that accepted it
  if (/\/webrtc(\/|$)/.test(addr)) {
    return 'webrtc'
  }

  return addr.includes(CIRCUIT) ? 'relayed' : 'direct'
}

function isPublic (ma: Multiaddr): boolean {
  const text = ma.toString()
  return !text.includes(CIRCUIT) && !isLoopback(ma) && !isPrivate(ma)
}

export function reachabilityOf (libp2p: Pick<Libp2p, 'getMultiaddrs' | 'getConnections'>): Reachability {
  const addrs = libp2p.getMultiaddrs()
  const publicAddresses = [...new Set(addrs.filter(isPublic).map(ma => ma.toString()))]
  const reservations = [...new Set(addrs.map(ma => ma.toString()).filter(a => a.includes(CIRCUIT)).map(a => {
    const relay = a.slice(0, a.indexOf(CIRCUIT))
    return relay.slice(relay.lastIndexOf('/p2p/') + 5)
  }))]

  let status: ReachabilityStatus = 'unknown'

  if (publicAddresses.length > 0) {
    status = 'public'
  } else if (reservations.length > 0) {
    status = 'behind-nat'
  }

  return {
    status,
    publicAddresses,
    reservations,
    connections: libp2p.getConnections().map(connection => ({
      peer: connection.remotePeer.toString(),
      addr: connection.remoteAddr.toString(),
      kind: connectionKind(connection),
      limited: connection.limits != null
    }))
  }
}
