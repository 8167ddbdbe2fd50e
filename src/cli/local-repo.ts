/**
 * The Repo of a `doc` command without `--peer`: documents of the data directory and nothing else.
 * It starts no libp2p node, so it listens nowhere and dials nobody, not even the bootstrap peers the
 * directory's peer store keeps alive (a local `doc change` used to connect to them with the
 * daemon's identity and sync). The datastore is opened only for its lock: a running daemon holds
 * the directory and the command refuses it.
 */
import { Repo } from '@automerge/automerge-repo'
import { settlePendingHandles } from '../node/settle-handles.ts'
import { automergeStorage } from '../storage/automerge-storage.ts'
import { openDatastore } from '../storage/datastore.ts'

/**
 * automerge-repo saves a changed document on a throttle (100 ms by default) besides `flush()`, and
 * its storage marks a document saved only once the write finished: a throttled save that starts
 * while the command's `flush()` runs writes the same file a second time, and the process exiting
 * in the middle of that write left an empty file (seen on `doc create n=1`: the document read back
 * as {}). A short-lived command saves with `flush()` alone, so the throttle is set beyond its life.
 */
const SAVE_THROTTLE_MS = 24 * 60 * 60 * 1000

export interface LocalRepo {
  repo: Repo
  close(): Promise<void>
}

export async function openLocalRepo (dataDir: string): Promise<LocalRepo> {
  const storage = await openDatastore(dataDir)
  const repo = new Repo({ storage: automergeStorage(dataDir), network: [], saveDebounceRate: SAVE_THROTTLE_MS })

  return {
    repo,
    close: async () => {
      await repo.shutdown().catch(() => {})
      await settlePendingHandles(repo)
      await storage.close()
    }
  }
}
