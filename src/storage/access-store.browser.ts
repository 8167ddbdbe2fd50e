/**
 * Browser access lists: one record in the peer's IndexedDB datastore (in memory without one).
 */
import { Key } from 'interface-datastore'
import type { AccessListJSON, AccessStore } from '../access/index.ts'
import type { Datastore } from 'interface-datastore'

const ACCESS_KEY = new Key('/docpeer/access')

export function accessStore (_dataDir: string, datastore?: Datastore): AccessStore {
  let memory: AccessListJSON | undefined

  return {
    load: async () => {
      if (datastore == null || !(await datastore.has(ACCESS_KEY))) {
        return memory
      }
      return JSON.parse(new TextDecoder().decode(await datastore.get(ACCESS_KEY)))
    },
    save: async (json: AccessListJSON) => {
      memory = json
      await datastore?.put(ACCESS_KEY, new TextEncoder().encode(JSON.stringify(json)))
    }
  }
}
