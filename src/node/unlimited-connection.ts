/**
 * A connection to a peer that needs no dial and carries any protocol: open and without limits, as
 * libp2p itself decides whether a dial reuses a connection. A WebRTC dial through a relay leaves the
 * relayed (limited) connection it signalled over, and a failed one leaves it open too: taken for
 * "connected", it stopped every later attempt of the discovery dialer (two pages stayed apart after
 * one WebRTC handshake timed out).
 */
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'

export function unlimitedConnection (libp2p: Pick<Libp2p, 'getConnections'>, peer: PeerId): Connection | undefined {
  return libp2p.getConnections(peer).find(connection => connection.status === 'open' && connection.limits == null)
}
