/**
 * STUN and TURN servers of WebRTC connections, from URLs. docpeer never uses public STUN servers
 * unless told to: libp2p's default list is Google's, which a test or a private deployment must not
 * contact. A daemon behind NAT needs a STUN server to get a direct WebRTC connection (port-preserving
 * NATs), and a TURN server when its NAT maps every destination to a new port (endpoint-dependent NAT).
 */
import { InvalidIceServerError } from './errors.ts'
import type { IceServer } from './types.ts'

export interface IceServerUrls {
  /** `stun:host[:port]` URLs */
  stun?: string[]
  /** `turn:host[:port][?transport=udp|tcp]` or `turns:...` URLs */
  turn?: string[]
  /** TURN user name (coturn's long-term credential mechanism) */
  username?: string
  /** TURN password */
  credential?: string
}

const STUN_URL = /^stuns?:[^\s/?#]+(:\d{1,5})?$/
const TURN_URL = /^turns?:[^\s/?#]+(:\d{1,5})?(\?transport=(udp|tcp))?$/

/**
 * `RTCIceServer`s for `iceServers`; throws `InvalidIceServerError` for a URL of the wrong scheme or
 * shape, or TURN URLs without a user name and password (TURN servers refuse anonymous allocations).
 */
export function iceServersFrom (urls: IceServerUrls): IceServer[] {
  const stun = urls.stun ?? []
  const turn = urls.turn ?? []

  for (const url of stun) {
    if (!STUN_URL.test(url)) {
      throw new InvalidIceServerError(`"${url}" is not a STUN URL (stun:host:port)`)
    }
  }

  for (const url of turn) {
    if (!TURN_URL.test(url)) {
      throw new InvalidIceServerError(`"${url}" is not a TURN URL (turn:host:port)`)
    }
  }

  if (turn.length > 0 && (urls.username == null || urls.credential == null)) {
    throw new InvalidIceServerError('a TURN server needs a user name and a password')
  }

  return [
    ...stun.map(url => ({ urls: url })),
    ...turn.map(url => ({ urls: url, username: urls.username, credential: urls.credential }))
  ]
}
