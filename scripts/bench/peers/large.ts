/**
 * Workload 3: one large document (many changes, large text) synced to a fresh peer.
 */
import { randomBytes } from 'node:crypto'
import * as Automerge from '@automerge/automerge'
import { createSyncPeer, findDoc, waitForPeers } from '../lib/sync-peer.ts'
import { current } from './sync.ts'
import type { SyncSide } from '../lib/sync-peer.ts'
import type { AutomergeUrl } from '@automerge/automerge-repo'

interface LargeDoc {
  text: string
  blobs: Record<string, Automerge.ImmutableString>
}

export interface LargeDocShape {
  /**
   * Changes that each add one string of `blobChars` random base64 characters.
   */
  blobs: number
  blobChars: number

  /**
   * Changes that each append `spliceChars` random characters to a collaborative text.
   */
  splices: number
  spliceChars: number
}

/**
 * Builds the document on A (not timed). Returns its URL, its payload in characters and the size
 * of its saved form.
 */
export function build (shape: LargeDocShape): { url: AutomergeUrl, payload: number, saved: number } {
  const handle = current().repo.create<LargeDoc>({ text: '', blobs: {} })
  let length = 0

  for (let i = 0; i < shape.splices; i++) {
    const chunk = randomBytes(shape.spliceChars).toString('base64').slice(0, shape.spliceChars)
    const at = length
    handle.change(doc => { Automerge.splice(doc, ['text'], at, 0, chunk) })
    length += chunk.length
  }

  for (let i = 0; i < shape.blobs; i++) {
    const value = randomBytes(Math.ceil(shape.blobChars * 3 / 4)).toString('base64').slice(0, shape.blobChars)
    handle.change(doc => { doc.blobs[`blob-${i}`] = new Automerge.ImmutableString(value) })
  }

  return {
    url: handle.url,
    payload: length + shape.blobs * shape.blobChars,
    saved: Automerge.save(handle.doc()).byteLength
  }
}

/**
 * On a fresh process: creates a peer, connects it to A and waits until the whole document is
 * there. Returns the time from the start of the connection, in ms.
 */
export async function fetch (side: SyncSide, address: string, url: AutomergeUrl, shape: LargeDocShape): Promise<number> {
  const peer = await createSyncPeer(side)
  const start = performance.now()
  await peer.connect(address)
  await waitForPeers(peer.repo, 1)
  const handle = await findDoc<LargeDoc>(peer.repo, url)

  await new Promise<void>(resolve => {
    const check = (): void => {
      const doc = handle.doc()

      if (Object.keys(doc.blobs ?? {}).length === shape.blobs && doc.text?.length === shape.splices * shape.spliceChars) {
        handle.off('change', check)
        resolve()
      }
    }

    handle.on('change', check)
    check()
  })

  return performance.now() - start
}
