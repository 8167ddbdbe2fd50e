/**
 * What `docpeer status` and `docpeer peers` report, read from a running docpeer node: libp2p's
 * connections and addresses, relay reservations, the sync adapter's peers and the Repo's documents.
 */
import { readdir } from 'node:fs/promises'
import { isValidDocumentId } from '@automerge/automerge-repo'
import { dataPath } from '../storage/datastore.ts'
import type { AddressInfo, ConnectionInfo, ReservationInfo, StatusInfo } from './protocol.ts'
import type { Docpeer } from '../node/peer.ts'
import type { Connection } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * The parts of libp2p's components the status needs that `Libp2p` does not expose: registered as a
 * libp2p service (`controlProbe()`), which libp2p hands its components.
 */
export interface ControlProbe {
  addressManager: AddressManagerSlice
}

/**
 * The slice of libp2p's internal `AddressManager` used here.
 */
export interface AddressManagerSlice {
  getListenAddrs(): Multiaddr[]
  getAddressesWithMetadata(): Array<{ multiaddr: Multiaddr, verified: boolean, type: string }>
}

export interface ControlProbeComponents {
  addressManager: AddressManagerSlice
}

export function controlProbe (): (components: ControlProbeComponents) => ControlProbe {
  return components => ({ addressManager: components.addressManager })
}

/**
 * The name of the transport a multiaddr uses, as people say it.
 */
export function transportOf (ma: Multiaddr): string {
  const names = ma.getComponents().map(component => component.name)

  if (names.includes('p2p-circuit')) {
    return 'circuit-relay'
  }

  for (const name of ['webrtc-direct', 'webrtc', 'wss', 'memory']) {
    if (names.includes(name)) {
      return name
    }
  }

  if (names.includes('ws')) {
    return names.includes('tls') ? 'wss' : 'ws'
  }

  return names.includes('tcp') ? 'tcp' : (names[names.length - 1] ?? 'unknown')
}

export function connectionInfo (connection: Connection, syncPeers: Set<string>, verbose: boolean, now = Date.now()): ConnectionInfo {
  const peerId = connection.remotePeer.toString()
  const info: ConnectionInfo = {
    peerId,
    remoteAddr: connection.remoteAddr.toString(),
    transport: transportOf(connection.remoteAddr),
    direction: connection.direction,
    direct: connection.direct,
    limited: connection.limits != null,
    rttMs: connection.rtt == null ? undefined : Math.round(connection.rtt * 10) / 10,
    ageMs: now - connection.timeline.open,
    status: connection.status,
    encryption: connection.encryption,
    multiplexer: connection.multiplexer,
    streams: connection.streams.length,
    syncing: syncPeers.has(peerId)
  }

  if (verbose) {
    info.streamProtocols = connection.streams.map(stream => stream.protocol ?? '(negotiating)')
  }

  return info
}

function syncPeersOf (peer: Docpeer): Set<string> {
  return new Set((peer.syncAdapter?.peers ?? []).map(String))
}

export function connectionsOf (peer: Docpeer, verbose: boolean): ConnectionInfo[] {
  const syncPeers = syncPeersOf(peer)
  const now = Date.now()
  return peer.libp2p.getConnections().map(connection => connectionInfo(connection, syncPeers, verbose, now))
}

/**
 * Reservations this peer holds on relays: its `/p2p-circuit` addresses name the relay.
 */
function heldReservations (multiaddrs: Multiaddr[]): ReservationInfo[] {
  const byRelay = new Map<string, ReservationInfo>()

  for (const ma of multiaddrs) {
    const components = ma.getComponents()
    const circuit = components.findIndex(component => component.name === 'p2p-circuit')

    if (circuit < 1) {
      continue
    }

    const relay = components.slice(0, circuit).reverse().find(component => component.name === 'p2p')?.value

    if (relay != null && !byRelay.has(relay)) {
      byRelay.set(relay, { peerId: relay, multiaddr: ma.toString() })
    }
  }

  return [...byRelay.values()]
}

interface RelayServer {
  reservations: Map<unknown, { expiry: Date, addr: Multiaddr }> | { entries(): Iterable<[any, { expiry: Date, addr: Multiaddr }]> }
}

function servedReservations (peer: Docpeer): ReservationInfo[] {
  const relay = (peer.libp2p.services as Record<string, unknown>).relay as RelayServer | undefined

  if (relay?.reservations == null) {
    return []
  }

  return [...relay.reservations.entries()].map(([peerId, reservation]) => ({
    peerId: peerId.toString(),
    multiaddr: reservation.addr?.toString(),
    expires: reservation.expiry?.toISOString()
  }))
}

/**
 * Documents kept in the data directory: automerge's file storage keeps a document's chunks in
 * `automerge/<first two characters of its id>/<the rest>/`.
 */
export async function storedDocumentIds (dataDir: string | undefined): Promise<string[]> {
  if (dataDir == null) {
    return []
  }

  const root = dataPath(dataDir, 'automerge')
  const ids: string[] = []
  let prefixes: string[]

  try {
    prefixes = await readdir(root)
  } catch {
    return []
  }

  for (const prefix of prefixes) {
    let rests: string[]

    try {
      rests = await readdir(`${root}/${prefix}`)
    } catch {
      continue
    }

    for (const rest of rests) {
      if (isValidDocumentId(`${prefix}${rest}`)) {
        ids.push(`${prefix}${rest}`)
      }
    }
  }

  return ids
}

function reachability (addresses: AddressInfo[]): StatusInfo['reachability'] {
  const dynamic = addresses.filter(address => address.type !== 'transport')

  if (addresses.some(address => address.verified && address.type !== 'transport')) {
    return 'public'
  }

  return dynamic.length > 0 ? 'private' : 'unknown'
}

export interface StatusContext {
  peer: Docpeer
  probe?: ControlProbe
  startedAt: number
}

export async function statusOf ({ peer, probe, startedAt }: StatusContext): Promise<StatusInfo> {
  const libp2p = peer.libp2p
  const announced = libp2p.getMultiaddrs()
  const addresses: AddressInfo[] = (probe?.addressManager.getAddressesWithMetadata() ?? []).map(address => ({
    multiaddr: address.multiaddr.toString(),
    type: address.type,
    verified: address.verified
  }))
  const listen = probe?.addressManager.getListenAddrs() ?? []
  const repo = peer.repo
  const loaded = repo == null ? 0 : Object.values(repo.handles).filter(handle => handle.isReady()).length

  return {
    peerId: libp2p.peerId.toString(),
    role: peer.role,
    dataDir: peer.dataDir,
    reachability: reachability(addresses),
    listen: [...new Set(listen.map(ma => ma.toString()))],
    announced: [...new Set(announced.map(ma => ma.toString()))],
    addresses,
    reservations: {
      held: heldReservations(announced),
      served: servedReservations(peer)
    },
    connections: connectionsOf(peer, false),
    syncPeers: [...syncPeersOf(peer)],
    documents: {
      loaded,
      stored: (await storedDocumentIds(peer.dataDir)).length
    },
    helia: peer.helia != null,
    uptimeMs: Date.now() - startedAt
  }
}
