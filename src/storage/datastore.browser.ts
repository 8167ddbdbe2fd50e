/**
 * Browser storage: the data directory becomes an IndexedDB database name prefix.
 */
import { IDBDatastore } from 'datastore-idb'
import { DataDirError } from './errors.ts'
import type { OpenedDatastore } from './datastore.ts'

export type { OpenedDatastore }

export function dataPath (dataDir: string, part: string): string {
  return `${dataDir}/${part}`
}

export async function openDatastore (dataDir: string): Promise<OpenedDatastore> {
  const location = dataPath(dataDir, 'datastore')
  const datastore = new IDBDatastore(location)

  try {
    await datastore.open()
  } catch (err: any) {
    throw new DataDirError(`Cannot open the IndexedDB datastore ${location}: ${err.message}`)
  }

  return {
    datastore,
    location,
    close: async () => { await datastore.close() }
  }
}
