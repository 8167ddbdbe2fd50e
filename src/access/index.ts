/**
 * Access to documents, bound to authenticated libp2p peer ids: the lists, the adapter that enforces
 * them, and `peer.access`.
 */
export { AccessList, PUBLIC } from './list.ts'
export type { AccessListJSON, AccessMode, DocumentAccess, Level, Right } from './list.ts'
export { AccessNetworkAdapter, carriesChanges } from './adapter.ts'
export type { AccessCounts, AccessDecider } from './adapter.ts'
export { AccessController, documentIdOf, granteeOf } from './peer-access.ts'
export type { AccessStore, DocumentAccessInfo, Grantee, PeerAccess } from './peer-access.ts'
export { AccessListError } from './errors.ts'
