/**
 * The control protocol of a running daemon: newline-delimited JSON over a Unix socket in the data
 * directory. A client writes one request per line and reads one response per line, matched by `id`:
 *
 * ```text
 * {"id":1,"method":"status"}
 * {"id":1,"result":{"peerId":"12D3KooW...", ...}}
 * {"id":2,"method":"connect","params":{"target":"/ip4/127.0.0.1/tcp/4101/p2p/12D3KooW..."}}
 * {"id":2,"error":{"name":"InvalidMultiaddrError","message":"..."}}
 * ```
 *
 * Light on purpose (node:path only): the CLI imports it before deciding whether to load libp2p.
 */
import { join, resolve } from 'node:path'

/**
 * The socket sits in a directory of its own, owner-only (0700), inside the data directory: the
 * socket file is created with the process's umask before it can be narrowed to 0600, and nobody
 * else can reach it through a directory they cannot enter.
 */
export const CONTROL_DIR = 'control'
export const CONTROL_SOCKET = 'docpeer.sock'

/**
 * Longest request or response line accepted, in bytes: a block of up to 1 MiB in base64 fits.
 */
export const MAX_CONTROL_LINE = 4 * 1024 * 1024

export function controlDirPath (dataDir: string): string {
  return join(resolve(dataDir), CONTROL_DIR)
}

export function controlSocketPath (dataDir: string): string {
  return join(controlDirPath(dataDir), CONTROL_SOCKET)
}

export interface ControlRequest {
  id: number
  method: string
  params?: Record<string, unknown>
}

export interface ControlErrorBody {
  name: string
  message: string
}

export type ControlResponse =
  | { id: number, result: unknown }
  | { id: number, error: ControlErrorBody }

export interface ConnectionInfo {
  peerId: string
  remoteAddr: string
  /**
   * tcp, ws, wss, webrtc, webrtc-direct, circuit-relay, memory or the last protocol of the address
   */
  transport: string
  direction: 'inbound' | 'outbound'
  /**
   * false for a relayed connection
   */
  direct: boolean
  /**
   * true when the connection has data or time limits (circuit relay v2)
   */
  limited: boolean
  /**
   * round trip time measured by libp2p's connection monitor, when known
   */
  rttMs?: number
  ageMs: number
  status: string
  encryption?: string
  multiplexer?: string
  streams: number
  /**
   * the protocols of the open streams (verbose only)
   */
  streamProtocols?: string[]
  /**
   * the automerge sync adapter is up with this peer
   */
  syncing: boolean
}

export interface AddressInfo {
  multiaddr: string
  /**
   * transport, announce, observed, dns-mapping or ip-mapping (libp2p's address manager)
   */
  type: string
  /**
   * AutoNAT or configuration confirmed it is dialable from outside
   */
  verified: boolean
}

export interface ReservationInfo {
  /**
   * the relay (for reservations this peer holds) or the client (for those it serves)
   */
  peerId: string
  /**
   * the relayed address (held) or the client's address (served)
   */
  multiaddr?: string
  expires?: string
}

export interface StatusInfo {
  peerId: string
  role: string
  dataDir?: string
  /**
   * What libp2p's address manager knows: public when an announced address, or an observed one
   * that AutoNAT verified, is there; private when there are observed addresses but none verified;
   * unknown when it has only its transports' listen addresses.
   */
  reachability: 'public' | 'private' | 'unknown'
  listen: string[]
  /**
   * what the peer tells others (its dialable multiaddrs)
   */
  announced: string[]
  addresses: AddressInfo[]
  reservations: {
    /**
     * relay reservations this peer holds on relays (its /p2p-circuit addresses)
     */
    held: ReservationInfo[]
    /**
     * reservations this peer serves as a relay (server role)
     */
    served: ReservationInfo[]
  }
  connections: ConnectionInfo[]
  /**
   * the automerge peers the sync adapter is up with
   */
  syncPeers: string[]
  documents: {
    /**
     * documents the Repo has loaded
     */
    loaded: number
    /**
     * documents kept in the data directory
     */
    stored: number
  }
  helia: boolean
  uptimeMs: number
}

export interface PeersParams {
  verbose?: boolean
}

export interface ConnectParams {
  target: string
  timeoutMs?: number
}

export interface ConnectResult {
  peerId: string
  remoteAddr: string
  transport: string
  direct: boolean
  rttMs?: number
}

export interface DisconnectParams {
  peerId: string
}

export interface DisconnectResult {
  peerId: string
  /**
   * how many connections were closed
   */
  closed: number
}

export interface IdResult {
  peerId: string
  multiaddrs: string[]
}

export interface SyncAddressResult {
  peerId: string
  /**
   * Addresses of the daemon a local process can dial to sync with its Repo, loopback first.
   */
  multiaddrs: string[]
}

export interface BlockGetParams {
  cid: string
  timeoutMs?: number
}

export interface BlockGetResult {
  cid: string
  /**
   * the block's bytes, base64
   */
  bytes: string
}
