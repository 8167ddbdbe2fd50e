/**
 * What `peer.dial()` accepts: a multiaddr (string or `Multiaddr`) or a peer id (string or
 * `PeerId`). A string that starts with "/" is a multiaddr; anything else must be a peer id.
 */
import { InvalidMultiaddrError, isPeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { parseMultiaddr } from './multiaddr.ts'
import type { PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export function parseDialTarget (target: string | Multiaddr | PeerId): Multiaddr | PeerId {
  if (isPeerId(target)) {
    return target
  }

  if (typeof target !== 'string' || target.trim().startsWith('/')) {
    return parseMultiaddr(target)
  }

  try {
    return peerIdFromString(target.trim())
  } catch {
    throw new InvalidMultiaddrError(`"${target}" is not a multiaddr or a peer id: a multiaddr starts with "/", e.g. /ip4/127.0.0.1/tcp/4101/p2p/12D3KooW..., a peer id looks like 12D3KooW...`)
  }
}
