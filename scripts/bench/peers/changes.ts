/**
 * Workload 2: many small successive changes to one document on A, until B sees the last one.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { findDoc } from '../lib/sync-peer.ts'
import { current } from './sync.ts'
import type { AutomergeUrl, DocHandle } from '@automerge/automerge-repo'

interface CounterDoc {
  n: number
  last: string
}

const handles = new Map<string, DocHandle<CounterDoc>>()

export function createDoc (): AutomergeUrl {
  const handle = current().repo.create<CounterDoc>({ n: -1, last: '' })
  handles.set(handle.url, handle)
  return handle.url
}

export async function open (url: AutomergeUrl): Promise<void> {
  handles.set(url, await findDoc<CounterDoc>(current().repo, url))
}

/**
 * Resolves when the document's counter reaches `target`.
 */
export async function waitFor (url: AutomergeUrl, target: number): Promise<void> {
  const handle = handles.get(url)

  if (handle == null) {
    throw new Error(`${url} is not open`)
  }

  await new Promise<void>(resolve => {
    const check = (): void => {
      if (handle.doc().n === target) {
        handle.off('change', check)
        resolve()
      }
    }

    handle.on('change', check)
    check()
  })
}

/**
 * Makes `count` changes, either in one synchronous loop or yielding to the event loop between
 * changes (as an app reacting to input does). Returns the time the changes took locally, in ms.
 */
export async function run (url: AutomergeUrl, count: number, yielding: boolean): Promise<number> {
  const handle = handles.get(url)

  if (handle == null) {
    throw new Error(`${url} is not open`)
  }

  const start = performance.now()

  for (let i = 0; i < count; i++) {
    handle.change(doc => {
      doc.n = i
      doc.last = `change ${i}`
    })

    if (yielding) {
      await yieldToLoop()
    }
  }

  return performance.now() - start
}
