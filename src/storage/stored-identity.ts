/**
 * The peer's private key, kept in its datastore by libp2p's keychain so the peer id survives
 * restarts.
 */
import { loadOrCreateSelfKey } from '@libp2p/config'
import { KeyStoreError } from './errors.ts'
import type { PrivateKey } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/**
 * Loads the key stored in `datastore`, or creates and stores one when there is none. A key that is
 * there but cannot be read is an error naming `location`: replacing it would change the peer id.
 */
export async function loadStoredIdentity (datastore: Datastore, location: string): Promise<PrivateKey> {
  try {
    return await loadOrCreateSelfKey(datastore)
  } catch (err: any) {
    throw new KeyStoreError(`The key store in ${location} cannot be read (${err.message}); it was left as it is. Restore it from a backup, or move the data directory away to start with a new peer id`)
  }
}
