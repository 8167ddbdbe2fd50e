/**
 * automerge-repo's `findWithProgress()` with a lookup before `unavailable`: its steps are passed on
 * to the subscribers, except an `unavailable` step, which starts the lookup; the lookup's outcome
 * is the last step. automerge-repo's own answers `unavailable` as soon as the peers it asked by id
 * said so, which on a docpeer node are the chosen peers only (lookup-order.ts).
 */
import type { Repo } from '@automerge/automerge-repo'

/** What `findWithProgress()` returns: one step, with `peek()` and `subscribe()` while loading */
export type Progress<T> = ReturnType<typeof Repo.prototype.findWithProgress<T>>

/** One step of a find's progress (automerge-repo does not export the type) */
export type FindStep<T> = Exclude<Progress<T>, { subscribe: unknown }>

type Listener<T> = (step: FindStep<T>) => void

export interface LookupSteps<T> {
  /** runs when automerge-repo's find ends `unavailable`; resolves with the last step */
  lookUp(unavailable: FindStep<T>): Promise<FindStep<T>>

  /** called once, with the last step (ready, unavailable or failed) */
  settled(last: FindStep<T>): void
}

/**
 * Wraps what automerge-repo's `findWithProgress()` returned.
 */
export function withLookup<T> (progress: Progress<T>, steps: LookupSteps<T>): Progress<T> {
  const listeners = new Set<Listener<T>>()
  let last: FindStep<T> = isSubscription(progress) ? progress.peek() : progress
  const step = (next: FindStep<T>): void => {
    last = next
    listeners.forEach(listener => { listener(next) })
  }
  const settle = (next: FindStep<T>): void => {
    steps.settled(next)
    step(next)
  }
  const lookUp = (unavailable: FindStep<T>): void => {
    steps.lookUp(unavailable).then(settle, (err: Error) => {
      settle({ state: 'failed', error: err, handle: unavailable.handle })
    })
  }
  const subscription = {
    peek: () => last,
    subscribe: (listener: Listener<T>) => {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  }

  if (!isSubscription(progress)) {
    // a handle automerge-repo had already: ready, deleted, or unavailable (looked up again, as
    // docpeer's `find()` does)
    if (progress.state !== 'unavailable') {
      settle(progress)
      return progress
    }

    last = { state: 'loading', progress: 75, handle: progress.handle }
    lookUp(progress)
    return { ...last, ...subscription } as unknown as Progress<T>
  }

  const unsubscribe = progress.subscribe(next => {
    if (next.state === 'loading') {
      step(next)
      return
    }

    unsubscribe()

    if (next.state === 'unavailable') {
      lookUp(next)
    } else {
      settle(next)
    }
  })

  return { ...progress, ...subscription } as unknown as Progress<T>
}

function isSubscription<T> (progress: Progress<T>): progress is Extract<Progress<T>, { subscribe: unknown }> {
  return 'subscribe' in progress
}
