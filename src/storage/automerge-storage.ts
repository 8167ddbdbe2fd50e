/**
 * automerge-repo's document storage in a Node.js data directory. Apart from datastore.ts so that
 * what only needs the datastore (`docpeer id`) does not load the file storage adapter and its
 * dependencies. The browser build swaps this file for `automerge-storage.browser.ts` (IndexedDB).
 */
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs'
import { dataPath } from './datastore.ts'
import { storedDocumentIds } from './document-list.ts'
import type { DocumentId, StorageAdapterInterface } from '@automerge/automerge-repo'

/**
 * One file per document chunk in `<dataDir>/automerge`.
 */
export function automergeStorage (dataDir: string): StorageAdapterInterface {
  return new NodeFSStorageAdapter(dataPath(dataDir, 'automerge'))
}

/**
 * Lists the documents that `automergeStorage(dataDir)` keeps, without loading them.
 */
export function storedDocumentLister (dataDir: string): (() => Promise<DocumentId[]>) | undefined {
  return async () => storedDocumentIds(dataDir)
}
