/**
 * The control API's methods, as plain functions of a running docpeer node. The server (server.ts)
 * calls them with a request's params; their results are what the client (client.ts) returns.
 */
import { InvalidParametersError } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import { parseMultiaddr } from '../node/multiaddr.ts'
import { InvalidControlRequestError, NoDocumentsError, NoHeliaError, NotConnectedError } from './errors.ts'
import { connectionInfo, connectionsOf, statusOf, transportOf } from './status.ts'
import type { BlockGetResult, ConnectResult, DisconnectResult, IdResult, SyncAddressResult } from './protocol.ts'
import type { ControlMethod } from './server.ts'
import type { StatusContext } from './status.ts'
import type { PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const DEFAULT_CONNECT_TIMEOUT = 10_000
const DEFAULT_BLOCK_TIMEOUT = 30_000

function stringParam (params: Record<string, unknown>, name: string): string {
  const value = params[name]

  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidControlRequestError(`"${name}" must be a non-empty string`)
  }

  return value.trim()
}

function parsePeerId (text: string): PeerId {
  try {
    return peerIdFromString(text)
  } catch (err: any) {
    throw new InvalidParametersError(`"${text}" is not a peer id: ${err.message}`)
  }
}

/**
 * A multiaddr (starts with "/") or a peer id (dialed through the addresses libp2p knows for it).
 */
function parseTarget (text: string): Multiaddr | PeerId {
  return text.startsWith('/') ? parseMultiaddr(text) : parsePeerId(text)
}

/**
 * Addresses a process on this machine can dial: the transports' own addresses (not announced
 * ones), loopback before the others, TCP before the rest.
 */
function localSyncAddresses (context: StatusContext): string[] {
  const { peer, probe } = context
  const peerId = peer.peerId.toString()
  const transport = (probe?.addressManager.getAddressesWithMetadata() ?? [])
    .filter(address => address.type === 'transport')
    .map(address => address.multiaddr)
  const candidates = transport.length > 0 ? transport : peer.libp2p.getMultiaddrs()
  const rank = (ma: Multiaddr): number => {
    const text = ma.toString()
    const loopback = text.startsWith('/ip4/127.') || text.startsWith('/ip6/::1/') ? 0 : 2
    return loopback + (transportOf(ma) === 'tcp' ? 0 : 1)
  }

  return [...new Set(candidates
    .filter(ma => !ma.toString().includes('/p2p-circuit') && ['tcp', 'ws', 'wss'].includes(transportOf(ma)))
    .sort((a, b) => rank(a) - rank(b))
    .map(ma => ma.toString().includes('/p2p/') ? ma.toString() : `${ma.toString()}/p2p/${peerId}`))]
}

export function controlMethods (context: StatusContext): Record<string, ControlMethod> {
  const { peer } = context
  const libp2p = peer.libp2p

  return {
    id: async (): Promise<IdResult> => ({
      peerId: peer.peerId.toString(),
      multiaddrs: [...new Set(libp2p.getMultiaddrs().map(ma => ma.toString()))]
    }),
    status: async () => statusOf(context),
    peers: async params => connectionsOf(peer, params.verbose === true),
    connect: async (params): Promise<ConnectResult> => {
      const target = parseTarget(stringParam(params, 'target'))
      const timeout = typeof params.timeoutMs === 'number' && params.timeoutMs > 0 ? params.timeoutMs : DEFAULT_CONNECT_TIMEOUT
      const connection = await libp2p.dial(target, { signal: AbortSignal.timeout(timeout) })
      // the operator chose this peer: documents are offered to it and lookups passed to it
      peer.access.choose(connection.remotePeer.toString())
      const info = connectionInfo(connection, new Set(), false)

      return {
        peerId: info.peerId,
        remoteAddr: info.remoteAddr,
        transport: info.transport,
        direct: info.direct,
        rttMs: info.rttMs
      }
    },
    disconnect: async (params): Promise<DisconnectResult> => {
      const peerId = parsePeerId(stringParam(params, 'peerId'))
      const closed = libp2p.getConnections(peerId).length

      if (closed === 0) {
        throw new NotConnectedError(`Not connected to ${peerId.toString()}`)
      }

      await libp2p.hangUp(peerId)
      return { peerId: peerId.toString(), closed }
    },
    'block-get': async (params): Promise<BlockGetResult> => {
      if (peer.helia == null) {
        throw new NoHeliaError()
      }

      let cid: CID

      try {
        cid = CID.parse(stringParam(params, 'cid'))
      } catch (err: any) {
        throw new InvalidParametersError(`"${String(params.cid)}" is not a CID: ${err.message}`)
      }

      const timeout = typeof params.timeoutMs === 'number' && params.timeoutMs > 0 ? params.timeoutMs : DEFAULT_BLOCK_TIMEOUT
      const chunks: Uint8Array[] = []

      // helia's blockstore: the local one first, then bitswap from the daemon's connections; a
      // fetched block is kept in the daemon's blockstore
      for await (const chunk of peer.helia.blockstore.get(cid, { signal: AbortSignal.timeout(timeout) })) {
        chunks.push(chunk)
      }

      return { cid: cid.toString(), bytes: Buffer.concat(chunks).toString('base64') }
    },
    'sync-address': async (): Promise<SyncAddressResult> => {
      if (peer.repo == null) {
        throw new NoDocumentsError()
      }

      return { peerId: peer.peerId.toString(), multiaddrs: localSyncAddresses(context) }
    }
  }
}
