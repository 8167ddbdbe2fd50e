/**
 * Multiaddrs typed by people: a clear `InvalidMultiaddrError` instead of the multibase or varint
 * errors `@multiformats/multiaddr` throws deep inside. Light on purpose: the CLI parses its
 * arguments with it before loading libp2p.
 */
import { InvalidMultiaddrError } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * Parses a multiaddr typed by a person, with an error that says what is wrong with it.
 */
export function parseMultiaddr (input: string | Multiaddr): Multiaddr {
  if (typeof input !== 'string') {
    return input
  }

  const text = input.trim()

  if (!text.startsWith('/')) {
    throw new InvalidMultiaddrError(`"${input}" is not a multiaddr: a multiaddr starts with "/", e.g. /ip4/127.0.0.1/tcp/4101/p2p/12D3KooW...`)
  }

  let ma: Multiaddr

  try {
    ma = multiaddr(text)
  } catch (err: any) {
    throw new InvalidMultiaddrError(`"${input}" is not a valid multiaddr: ${err.message}`)
  }

  // multiaddr keeps a /p2p/ value as text; a bad one otherwise fails at dial time with a multibase error
  for (const component of ma.getComponents()) {
    if (component.name === 'p2p' && component.value != null) {
      try {
        peerIdFromString(component.value)
      } catch {
        throw new InvalidMultiaddrError(`"${input}" is not a valid multiaddr: "${component.value}" is not a valid peer id (peer ids look like 12D3KooW... or Qm...)`)
      }
    }
  }

  return ma
}
