/**
 * automerge-repo sync over libp2p: the `Libp2pNetworkAdapter` and its wire protocol.
 */
export { Libp2pNetworkAdapter } from './adapter.ts'
export type { Libp2pNetworkAdapterInit, Libp2pSyncComponents } from './adapter.ts'
export { SYNC_PROTOCOL, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_HANDSHAKE_TIMEOUT } from './constants.ts'
export { PROTOCOL_V1, SUPPORTED_PROTOCOL_VERSIONS } from './wire/messages.ts'
export type { JoinMessage, PeerMessage, ErrorMessage, HandshakeMessage, ProtocolVersion } from './wire/messages.ts'
export * from './errors.ts'
