/**
 * The peer's identity in Node.js: the key kept in the data directory, checked against the peer id
 * recorded beside it (identity-marker.ts). The browser build swaps this file for
 * `identity.browser.ts` (one identity per tab).
 */
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { KeyStoreError } from './errors.ts'
import { peerIdFile, recordPeerId, recordedPeerId } from './identity-marker.ts'
import { loadStoredIdentity } from './stored-identity.ts'
import type { PrivateKey } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

export async function loadIdentity (datastore: Datastore, location: string): Promise<PrivateKey> {
  const recorded = await recordedPeerId(location)
  const key = await loadStoredIdentity(datastore, location, { create: recorded == null })
  const peerId = peerIdFromPrivateKey(key).toString()

  if (recorded == null) {
    await recordPeerId(location, peerId)
  } else if (recorded !== peerId) {
    throw new KeyStoreError(`The key store in ${location} holds the key of ${peerId}, but this data directory belongs to ${recorded} (${peerIdFile(location)}); it was left as it is. Restore the key store from a backup, or move the data directory away to start with a new peer id`)
  }

  return key
}
