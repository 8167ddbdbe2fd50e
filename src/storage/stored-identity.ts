/**
 * The peer's private key, kept in its datastore by libp2p's keychain so the peer id survives
 * restarts.
 */
import { loadOrCreateSelfKey } from '@libp2p/config'
import { Key } from 'interface-datastore'
import { KeyStoreError } from './errors.ts'
import type { PrivateKey } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/**
 * The keychain's record of the self key (`loadOrCreateSelfKey` keeps it there).
 */
const SELF_KEY = new Key('/pkcs8/self')

export interface LoadStoredIdentityOptions {
  /**
   * Create a key when there is none. False for a data directory known to have had one: a missing
   * key is then an error, not a new peer id.
   *
   * @default true
   */
  create?: boolean
}

async function hasKey (datastore: Datastore): Promise<boolean> {
  try {
    return await datastore.has(SELF_KEY)
  } catch {
    return false
  }
}

/**
 * Loads the key stored in `datastore`, or creates and stores one when there is none. A key that is
 * there but cannot be read is an error naming `location`: replacing it would change the peer id.
 */
export async function loadStoredIdentity (datastore: Datastore, location: string, options: LoadStoredIdentityOptions = {}): Promise<PrivateKey> {
  if (options.create === false && !(await hasKey(datastore))) {
    throw new KeyStoreError(`The key store in ${location} has lost its key (the data directory had one; its log may be damaged); it was left as it is. Restore it from a backup, or move the data directory away to start with a new peer id`)
  }

  try {
    return await loadOrCreateSelfKey(datastore)
  } catch (err: any) {
    throw new KeyStoreError(`The key store in ${location} cannot be read (${err.message}); it was left as it is. Restore it from a backup, or move the data directory away to start with a new peer id`)
  }
}
