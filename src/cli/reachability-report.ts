/**
 * The daemon's reachability lines: printed at start and again when the status or the relays
 * holding its reservations change. A server with no public address gets a warning saying what to
 * pass: libp2p withholds unverified public addresses and a server behind a NAT or on a private
 * address cannot know its public one.
 */
import type { CliIO } from './io.ts'
import type { PeerRole } from '../config/types.ts'
import type { Docpeer } from '../node/peer.ts'

const STATUS_TEXT = {
  public: 'public',
  'behind-nat': 'behind NAT (reachable through relays, directly over WebRTC where the NATs allow)',
  unknown: 'unknown (no public address and no relay reservation yet)'
}

export function reachabilityReporter (io: CliIO, json: boolean, role: PeerRole): (peer: Docpeer) => void {
  let printed = ''
  let warned = false

  return (peer) => {
    const { status, reservations, publicAddresses } = peer.reachability()
    const key = `${status} ${reservations.join(',')}`

    if (key !== printed) {
      printed = key

      if (json) {
        io.out(JSON.stringify({ event: 'reachability', status, reservations, publicAddresses }))
      } else {
        io.out(`reachability: ${STATUS_TEXT[status]}${reservations.length > 0 ? `; relay reservations on ${reservations.join(', ')}` : ''}`)
      }
    }

    // a server on loopback only is a local test setup: nothing to announce
    const offLoopback = peer.libp2p.getMultiaddrs().some(ma => !/^\/ip[46]\/(127\.|::1\/)/.test(ma.toString()))

    if (role === 'server' && status !== 'public' && offLoopback && !warned) {
      warned = true
      const message = 'this server has no public address to announce: peers elsewhere cannot dial it. Pass its public address, e.g. --announce /ip4/<public ip>/tcp/4101 --announce /ip4/<public ip>/tcp/4102/ws'
      io.err(json ? JSON.stringify({ event: 'warning', message }) : `warning: ${message}`)
    }
  }
}
