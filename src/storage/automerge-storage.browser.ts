/**
 * automerge-repo's document storage in the browser (the twin of automerge-storage.ts).
 */
import { IndexedDBStorageAdapter } from '@automerge/automerge-repo-storage-indexeddb'
// the browser build swaps datastore.ts for its twin, as it swaps this file
import { dataPath } from './datastore.ts'
import type { DocumentId, StorageAdapterInterface } from '@automerge/automerge-repo'

/**
 * IndexedDB, database `<dataDir>/automerge`.
 */
export function automergeStorage (dataDir: string): StorageAdapterInterface {
  return new IndexedDBStorageAdapter(dataPath(dataDir, 'automerge'))
}

/**
 * None in the browser: a tab answers for the documents it has open (those are the ones it keeps
 * syncing), not for every document IndexedDB holds.
 */
export function storedDocumentLister (dataDir: string): (() => Promise<DocumentId[]>) | undefined {
  return undefined
}
