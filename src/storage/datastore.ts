/**
 * Where a Node.js peer keeps its state: one data directory holding a LevelDB datastore (the peer's
 * key, peer store) and, beside it, what other parts of docpeer store (documents:
 * automerge-storage.ts, blocks: helia/blockstore.ts). The browser build swaps this file for
 * `datastore.browser.ts` (IndexedDB).
 */
import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { LevelDatastore } from 'datastore-level'
import { DataDirError } from './errors.ts'
import type { Datastore } from 'interface-datastore'

export interface OpenedDatastore {
  datastore: Datastore
  /**
   * Where the datastore lives, for error messages.
   */
  location: string
  close(): Promise<void>
}

/**
 * The path of a part of the data directory (`datastore`, `automerge`, `blocks`).
 */
export function dataPath (dataDir: string, part: string): string {
  return join(resolve(dataDir), part)
}

export async function openDatastore (dataDir: string): Promise<OpenedDatastore> {
  const location = dataPath(dataDir, 'datastore')

  try {
    await mkdir(location, { recursive: true })
  } catch (err: any) {
    throw new DataDirError(`Cannot create the data directory ${location}: ${err.message}`)
  }

  const datastore = new LevelDatastore(location)

  try {
    // open the Level database directly: datastore-level's own open() flattens the error to a
    // string and loses the cause that tells a held lock apart from a corrupt database
    await datastore.db.open({ createIfMissing: true, compression: false })
    await datastore.open()
  } catch (err: any) {
    const inUse = err.cause?.code === 'LEVEL_LOCKED'
    const reason = String(err.cause?.message ?? err.message)
    throw new DataDirError(inUse
      ? `The data directory ${location} is in use by another docpeer process (${reason})`
      : `Cannot open the datastore in ${location}: ${reason}`)
  }

  return {
    datastore,
    location,
    close: async () => { await datastore.close() }
  }
}
