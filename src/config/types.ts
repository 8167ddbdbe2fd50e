/**
 * Options of the libp2p config builders, shared by the Node and browser builds.
 */

import type { DhtOptions } from './dht.ts'

/**
 * `daemon` and `server` are Node.js roles; `browser` is the only role of the browser build.
 */
export type PeerRole = 'daemon' | 'server' | 'browser'

/**
 * A TLS certificate chain and its private key, PEM encoded.
 */
export interface TlsPem {
  cert: string
  key: string
}

/**
 * Limits of the circuit relay v2 server (`server` role).
 */
export interface RelayServerLimits {
  /**
   * How many peers may hold a reservation at once.
   *
   * @default 128
   */
  maxReservations?: number

  /**
   * Bytes one relayed connection may carry, in each direction, before the relay closes it.
   *
   * @default 131072n
   */
  dataLimit?: bigint

  /**
   * How long one relayed connection may stay open, in ms.
   *
   * @default 120000
   */
  durationLimit?: number

  /**
   * Set to false for a relay without data and duration limits (a private relay between trusted
   * peers). Connections through it are then not "limited", and sync may run over them.
   *
   * @default true
   */
  applyLimits?: boolean
}

/**
 * Ports of the default listen addresses. 0 picks a free port.
 */
export interface Ports {
  tcp?: number
  ws?: number
  wss?: number
  webrtcDirect?: number
}

/**
 * A STUN or TURN server of WebRTC connections (the DOM's `RTCIceServer`).
 */
export interface IceServer {
  urls: string | string[]
  username?: string
  credential?: string
}

export interface ConfigInit {
  /**
   * @default 'daemon' in Node.js, 'browser' in browsers
   */
  role?: PeerRole

  /**
   * Listen addresses; replaces the role's defaults entirely.
   */
  listen?: string[]

  /**
   * Host of the default listen addresses.
   *
   * @default '0.0.0.0'
   */
  host?: string

  /**
   * Ports of the default listen addresses.
   *
   * @default all 0
   */
  ports?: Ports

  /**
   * Addresses to announce instead of the listen addresses (a server behind a proxy or NAT).
   */
  announce?: string[]

  /**
   * Multiaddrs (with `/p2p/<peer id>`) dialed at start and redialed when the connection drops.
   * `createPeer` keeps dialing a peer that is down (at start or later) with backoff, forever.
   */
  bootstrap?: string[]

  /**
   * How many of the `bootstrap` peers `createPeer` keeps connected: the others are dialed when
   * fewer than this are up. A client given many servers holds a few and fails over to the rest.
   *
   * @default all of them for 'server' (servers given each other's addresses form a mesh), 2 otherwise
   */
  bootstrapConnections?: number

  /**
   * Backoff of `createPeer`'s redials of bootstrap peers, in ms: the first retry after `minDelay`,
   * doubling (with jitter) up to `maxDelay`.
   *
   * @default { minDelay: 1000, maxDelay: 30000 }
   */
  bootstrapRetry?: { minDelay?: number, maxDelay?: number }

  /**
   * The DHT `createPeer` runs (`@libp2p/kad-dht`, imported only when on): dial peers by peer id with
   * no address, and find documents no connected peer has. `false` for none.
   *
   * @default docpeer's own DHT ('/docpeer/kad/1.0.0'): server mode for 'server', client mode otherwise
   */
  dht?: boolean | DhtOptions

  /**
   * LAN discovery with multicast DNS.
   *
   * @default true for 'daemon', false for 'server'
   */
  mdns?: boolean

  /**
   * Certificate and key (PEM) for the WSS listener of a `server`.
   */
  tls?: TlsPem

  /**
   * Limits of the relay server of a `server`.
   */
  relay?: RelayServerLimits

  /**
   * Connections kept open before libp2p prunes the least useful ones.
   *
   * @default 300 (daemon), 1000 (server), 100 (browser)
   */
  maxConnections?: number

  /**
   * Inbound connections allowed in their handshake at once; more are reset.
   *
   * @default 10 (daemon, browser: libp2p's), 128 (server)
   */
  maxIncomingPendingConnections?: number

  /**
   * Inbound connections accepted per second from one host.
   *
   * @default 25 (daemon, server)
   */
  inboundConnectionThreshold?: number

  /**
   * Browser only: allow dialing `ws://` and loopback or private addresses, which browsers (and
   * libp2p's browser connection gater) refuse by default. For local development and tests;
   * production uses WSS.
   *
   * @default false
   */
  allowInsecureWebSockets?: boolean

  /**
   * STUN/TURN servers of WebRTC connections: a browser's or daemon's `/webrtc` and `/webrtc-direct`
   * dials, a server's `/webrtc-direct` listener. A daemon behind NAT needs a STUN server for direct
   * connections and a TURN server behind an endpoint-dependent ("hard") NAT (`iceServersFrom()`
   * builds them from URLs). Tests pass `[]` so nothing leaves the machine.
   *
   * @default libp2p's public STUN servers in browsers; none for a daemon (docpeer contacts no STUN
   * server unasked) or a server (it is dialed at its announced address)
   */
  iceServers?: IceServer[]
}
