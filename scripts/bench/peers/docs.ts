/**
 * Workload 1: many small documents created on A, all found on B.
 */
import { findDoc, findRetries } from '../lib/sync-peer.ts'
import { current } from './sync.ts'
import type { AutomergeUrl } from '@automerge/automerge-repo'

interface SmallDoc {
  title: string
  n: number
  tags: string[]
}

export function create (count: number): AutomergeUrl[] {
  const { repo } = current()
  const urls: AutomergeUrl[] = []

  for (let i = 0; i < count; i++) {
    urls.push(repo.create<SmallDoc>({ title: `document ${i}`, n: i, tags: ['bench', 'small'] }).url)
  }

  return urls
}

/**
 * Finds every document and checks its content; resolves when all are ready.
 */
export async function findAll (urls: AutomergeUrl[]): Promise<{ found: number, retries: number }> {
  const { repo } = current()
  const handles = await Promise.all(urls.map(async url => findDoc<SmallDoc>(repo, url)))

  handles.forEach((handle, i) => {
    if (handle.doc().title == null) {
      throw new Error(`document ${i} (${urls[i]}) is empty on B`)
    }
  })

  return { found: handles.length, retries: findRetries }
}
