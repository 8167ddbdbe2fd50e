/**
 * Private networks: a pre-shared swarm key (libp2p's `@libp2p/pnet`, the same format as IPFS's
 * `swarm.key`) encrypts every TCP and WebSocket connection before noise starts, so a peer without
 * the key cannot finish a connection, let alone learn a peer id. WebRTC connections skip libp2p's
 * connection protector (DTLS is their encryption), so a private network offers no WebRTC; a
 * browser joins one over WebSockets to a member that has the key.
 */
import { generateKey, preSharedKey } from '@libp2p/pnet'
import { multiaddr } from '@multiformats/multiaddr'
import { WebRTC, WebRTCDirect } from '@multiformats/multiaddr-matcher'
import type { ConnectionProtector } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Libp2pOptions } from 'libp2p'

const HEADER = '/key/swarm/psk/1.0.0/\n/base16/\n'

export class InvalidSwarmKeyError extends Error {
  static name = 'InvalidSwarmKeyError'

  constructor (message = 'Invalid swarm key') {
    super(message)
    this.name = 'InvalidSwarmKeyError'
  }
}

/**
 * A new swarm key, in the text form `docpeer swarm-key new` writes.
 */
export function newSwarmKey (): string {
  const key = new Uint8Array(95)
  generateKey(key)
  return new TextDecoder().decode(key)
}

/**
 * Checks a swarm key (the text form, as a string or its bytes) and returns its bytes.
 */
export function parseSwarmKey (key: string | Uint8Array): Uint8Array {
  const text = typeof key === 'string' ? key : new TextDecoder().decode(key)
  const lines = text.trim().split(/\r?\n/)

  if (lines.length !== 3 || `${lines[0]}\n${lines[1]}\n` !== HEADER || !/^[0-9a-fA-F]{64}$/.test(lines[2])) {
    throw new InvalidSwarmKeyError('A swarm key is three lines: /key/swarm/psk/1.0.0/, /base16/ and 64 hex digits (make one with `docpeer swarm-key new`)')
  }

  return new TextEncoder().encode(`${HEADER}${lines[2].toLowerCase()}`)
}

export function swarmKeyProtector (key: string | Uint8Array): () => ConnectionProtector {
  return preSharedKey({ psk: parseSwarmKey(key) })
}

/**
 * The libp2p options of a private network: the connection protector, and a gater that refuses
 * WebRTC connections (they skip the protector) on top of the role's gater.
 */
export function privateNetworkOptions (key: string | Uint8Array, gater: Libp2pOptions['connectionGater'] = {}): Pick<Libp2pOptions, 'connectionProtector' | 'connectionGater'> {
  const isWebRTC = (ma: Multiaddr): boolean => WebRTC.matches(ma) || WebRTCDirect.matches(ma)

  return {
    connectionProtector: swarmKeyProtector(key),
    connectionGater: {
      ...gater,
      denyDialMultiaddr: async (ma) => isWebRTC(ma) || (await gater.denyDialMultiaddr?.(ma) ?? false),
      denyInboundConnection: async (maConn) => isWebRTC(maConn.remoteAddr) || (await gater.denyInboundConnection?.(maConn) ?? false)
    }
  }
}

/**
 * The peer ids in a list of bootstrap multiaddrs (those without one are skipped).
 */
export function bootstrapPeerIds (list: string[] = []): string[] {
  return list.flatMap(address => {
    try {
      const id = multiaddr(address).getComponents().findLast(c => c.name === 'p2p')?.value
      return id == null ? [] : [id]
    } catch {
      return []
    }
  })
}
