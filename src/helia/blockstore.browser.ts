/**
 * Browser blockstore: IndexedDB, named after the data directory like the datastore.
 */
import { IDBBlockstore } from 'blockstore-idb'
import { dataPath } from '../storage/datastore.ts'
import { DataDirError } from '../storage/errors.ts'
import type { OpenedBlockstore } from './blockstore.ts'

export type { OpenedBlockstore }

export async function openBlockstore (dataDir: string): Promise<OpenedBlockstore> {
  const location = dataPath(dataDir, 'blocks')
  const blockstore = new IDBBlockstore(location)

  try {
    await blockstore.open()
  } catch (err: any) {
    throw new DataDirError(`Cannot open the IndexedDB blockstore ${location}: ${err.message}`)
  }

  return {
    blockstore,
    location,
    close: async () => { await blockstore.close() }
  }
}
