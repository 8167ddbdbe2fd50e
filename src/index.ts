/**
 * @packageDocumentation
 *
 * docpeer: a libp2p peer for local-first apps. One call gives a started libp2p node configured for
 * its environment (a Node.js `daemon` or `server`, or a browser peer), with noise, yamux, identify,
 * ping and gossipsub, a persistent identity, and automerge-repo sync over libp2p. Needs Node.js >= 22
 * (`createPeer` throws `UnsupportedRuntimeError` on older versions).
 *
 * @example
 * ```ts
 * import { createPeer } from 'docpeer'
 *
 * const peer = await createPeer({ role: 'daemon', dataDir: './.docpeer' })
 * console.info('peer id', peer.peerId.toString())
 *
 * const connection = await peer.dial('/ip4/127.0.0.1/tcp/4101/p2p/12D3KooW...')
 * console.info('ping', await peer.libp2p.services.ping.ping(connection.remoteAddr), 'ms')
 *
 * await peer.stop()
 * ```
 */
// node assembly: createPeer and what it returns
export { createPeer } from './node/peer.ts'
export type { Docpeer, DocpeerInit, SyncWithOptions } from './node/peer.ts'
export { parseMultiaddr } from './node/multiaddr.ts'
export type { Reachability, ReachabilityStatus, ConnectionKind, ConnectionReachability } from './node/reachability.ts'
export { iceServersFrom } from './config/ice.ts'
export type { IceServerUrls } from './config/ice.ts'
export { UnsupportedRuntimeError, MIN_NODE_MAJOR } from './node/runtime.ts'
// types only: helia itself is imported when a peer asks for it
export type { DocpeerHelia, HeliaOptions } from './helia/index.ts'
// role configuration, for callers who build libp2p themselves
export { libp2pDefaults, DEFAULT_ROLE, SUPPORTED_ROLES } from './config/defaults.ts'
export { keepStoppedWebRTCDirectListeners } from './config/ice-udp-mux-policy.ts'
export { commonServices, applyOverrides } from './config/common.ts'
export type { DocpeerServices, Libp2pOverrides } from './config/common.ts'
export type { ConfigInit, PeerRole, TlsPem, RelayServerLimits, Ports, IceServer } from './config/types.ts'
export * from './config/constants.ts'
export { TlsConfigError, InvalidIceServerError } from './config/errors.ts'
// storage errors
export { KeyStoreError, DataDirError, DocumentUnreadableError } from './storage/errors.ts'
// automerge-repo sync over libp2p
export * from './sync/index.ts'
export { PROTOCOL_PREFIX } from './constants.ts'
// who may read and write documents, private networks
export { AccessList, AccessNetworkAdapter, AccessListError, PUBLIC } from './access/index.ts'
export type { AccessCounts, AccessMode, DocumentAccess, DocumentAccessInfo, Level, PeerAccess, Right } from './access/index.ts'
export { newSwarmKey, parseSwarmKey, InvalidSwarmKeyError } from './node/swarm-key.ts'
