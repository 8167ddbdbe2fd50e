/**
 * A record of the peer id beside the key store, outside LevelDB. LevelDB does not report a damaged
 * log: with a flipped byte, a truncated or an overwritten `000003.log` it opens and quietly drops
 * the records it cannot read, the key among them (measured: all three gave `docpeer id` a new peer
 * id, exit 0). The file `<dataDir>/peer-id` says that this directory had a key and whose: a key
 * that is missing or not that peer's is then a `KeyStoreError`, never a new identity.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { KeyStoreError } from './errors.ts'

export const PEER_ID_FILE = 'peer-id'

/**
 * Where the record of the key store at `location` (`<dataDir>/datastore`) is kept.
 */
export function peerIdFile (location: string): string {
  return join(dirname(location), PEER_ID_FILE)
}

/**
 * The peer id recorded for the key store at `location`, or undefined when none was recorded (a new
 * data directory, or one made before docpeer kept the record).
 */
export async function recordedPeerId (location: string): Promise<string | undefined> {
  const file = peerIdFile(location)
  let text: string

  try {
    text = await readFile(file, 'utf8')
  } catch (err: any) {
    if (err.code === 'ENOENT') {
      return undefined
    }

    throw new KeyStoreError(`The peer id record ${file} cannot be read (${err.message}); the key store was left as it is`)
  }

  try {
    return peerIdFromString(text.trim()).toString()
  } catch {
    throw new KeyStoreError(`The peer id record ${file} is damaged (it does not hold a peer id); the key store was left as it is. Restore it from a backup, or move the data directory away to start with a new peer id`)
  }
}

export async function recordPeerId (location: string, peerId: string): Promise<void> {
  await writeFile(peerIdFile(location), `${peerId}\n`, { mode: 0o600 })
}
