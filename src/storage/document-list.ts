/**
 * The documents kept in a data directory, read from the layout of automerge-repo's NodeFS storage
 * adapter (`<dataDir>/automerge/<first two characters of the id>/<the rest>/snapshot|incremental/...`)
 * without loading them. A directory with only a sync state (a document this peer was asked about
 * but never held) is not a document.
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { isValidDocumentId } from '@automerge/automerge-repo'
import { dataPath } from './datastore.ts'
import type { DocumentId } from '@automerge/automerge-repo'

const CHUNK_KINDS = ['snapshot', 'incremental']

async function entries (dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter(entry => entry.isDirectory()).map(entry => entry.name)
  } catch (err: any) {
    if (err.code === 'ENOENT') {
      return []
    }

    throw err
  }
}

export async function storedDocumentIds (dataDir: string): Promise<DocumentId[]> {
  const root = dataPath(dataDir, 'automerge')
  const ids: DocumentId[] = []

  for (const prefix of (await entries(root)).sort()) {
    for (const rest of (await entries(join(root, prefix))).sort()) {
      const id = `${prefix}${rest}`
      const kinds = await entries(join(root, prefix, rest))

      if (isValidDocumentId(id) && kinds.some(kind => CHUNK_KINDS.includes(kind))) {
        ids.push(id as DocumentId)
      }
    }
  }

  return ids
}
