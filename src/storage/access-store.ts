/**
 * Where a Node.js peer keeps its access lists: `<dataDir>/access.json`, a file `docpeer doc share`
 * can change while the daemon runs (the daemon watches it and applies the change to live
 * connections). Written whole to a temporary file and renamed, so a reader never sees half of it.
 * The browser build swaps this file for `access-store.browser.ts` (the IndexedDB datastore).
 */
import { randomBytes } from 'node:crypto'
import { watch } from 'node:fs'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { dataPath } from './datastore.ts'
import { DataDirError } from './errors.ts'
import type { AccessListJSON, AccessStore } from '../access/index.ts'
import type { Datastore } from 'interface-datastore'

export const ACCESS_FILE = 'access.json'

export function accessFilePath (dataDir: string): string {
  return dataPath(dataDir, ACCESS_FILE)
}

export function accessStore (dataDir: string, _datastore?: Datastore): AccessStore {
  return accessFileStore(accessFilePath(dataDir))
}

export function accessFileStore (path: string): AccessStore {
  return {
    load: async () => {
      let text: string

      try {
        text = await readFile(path, 'utf8')
      } catch (err: any) {
        if (err.code === 'ENOENT') {
          return undefined
        }
        throw new DataDirError(`Cannot read the access lists in ${path}: ${err.message}`)
      }

      try {
        return JSON.parse(text)
      } catch (err: any) {
        throw new DataDirError(`The access lists in ${path} are not JSON: ${err.message}`)
      }
    },
    save: async (json: AccessListJSON) => {
      // a name of its own per write: two processes saving at once must not share a temporary file
      const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`
      await mkdir(dirname(path), { recursive: true })
      await writeFile(temporary, JSON.stringify(json, null, 2) + '\n')
      await rename(temporary, path)
    },
    watch: (onChange: () => void) => {
      // the file is replaced by a rename: watch its directory
      const watcher = watch(dirname(path), (_event, name) => {
        if (name === basename(path)) {
          onChange()
        }
      })
      watcher.on('error', () => {})
      return () => { watcher.close() }
    }
  }
}
