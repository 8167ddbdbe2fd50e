/**
 * Where a Node.js peer keeps its IPFS blocks: one file per block under `<data dir>/blocks`
 * (blockstore-fs, sharded by CID like kubo's flatfs). The browser build swaps this file for
 * `blockstore.browser.ts` (IndexedDB).
 */
import { FsBlockstore } from 'blockstore-fs'
import { dataPath } from '../storage/datastore.ts'
import { DataDirError } from '../storage/errors.ts'
import type { Blockstore } from 'interface-blockstore'

export interface OpenedBlockstore {
  blockstore: Blockstore
  /**
   * Where the blocks live, for messages.
   */
  location: string
  close(): Promise<void>
}

export async function openBlockstore (dataDir: string): Promise<OpenedBlockstore> {
  const location = dataPath(dataDir, 'blocks')
  const blockstore = new FsBlockstore(location)

  try {
    await blockstore.open()
  } catch (err: any) {
    throw new DataDirError(`Cannot open the blockstore in ${location}: ${err.message}`)
  }

  return {
    blockstore,
    location,
    close: async () => { await blockstore.close() }
  }
}
