/**
 * Browser identity. Tabs of one origin share IndexedDB, so a key kept there would give every tab the
 * same peer id, and to every other peer two tabs would look like one peer that keeps reconnecting.
 * The first tab to start holds a Web Lock on the data directory's key and uses (or creates) the key
 * kept in IndexedDB, so its peer id survives reloads; tabs started while that one is open get a key
 * of their own for as long as they live. Documents are shared by all tabs either way.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { loadStoredIdentity } from './stored-identity.ts'
import type { PrivateKey } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/**
 * Resolves true when this page now holds the lock named `name` until it closes, false when another
 * page holds it.
 */
async function holdLockForPageLifetime (name: string): Promise<boolean> {
  const locks = globalThis.navigator?.locks

  if (locks == null) {
    return false
  }

  return new Promise<boolean>(resolve => {
    locks.request(name, { ifAvailable: true }, async lock => {
      resolve(lock != null)

      if (lock != null) {
        // held until the page goes away
        await new Promise(() => {})
      }
    }).catch(() => { resolve(false) })
  })
}

export async function loadIdentity (datastore: Datastore, location: string): Promise<PrivateKey> {
  if (await holdLockForPageLifetime(`docpeer-identity:${location}`)) {
    return loadStoredIdentity(datastore, location)
  }

  return generateKeyPair('Ed25519')
}
