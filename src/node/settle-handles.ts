/**
 * What the peer's `stop()` does after `repo.shutdown()` and libp2p's stop (no message can create a
 * handle any more) so that no automerge-repo timer outlives the
 * Repo. automerge-repo 2.5.6 starts a 60 s `withTimeout` (and a 120 s xstate `waitFor`) for every
 * `handle.whenReady()`, and its synchronizer calls `void docSynchronizer.beginSync()`, which awaits
 * `whenReady()` of a handle a remote peer announced. `shutdown()` neither stops handles nor clears
 * those timers: a peer stopped while such a handle is still loading or requesting gets an unhandled
 * `TimeoutError: withTimeout: timed out after 60000ms` 60 s later, and the process stays up 120 s.
 * A handle can only be told to finish (there is no way to stop its state machine from outside), so
 * each pending one is first marked unavailable (a `find()` still waiting on it rejects, as it would
 * for a document nobody has) and then ready, which resolves every `whenReady()` and clears their
 * timers. Its document stays empty and nothing saves it: the Repo saves on a change of heads, and
 * an empty document has none.
 */
import type { DocHandle, Repo } from '@automerge/automerge-repo'

// an unavailable handle too: a `whenReady()` waiting for 'ready' on it still has its timer
const PENDING_STATES = ['idle', 'loading', 'requesting', 'unavailable'] as const

export async function settlePendingHandles (repo: Repo): Promise<number> {
  const pending = Object.values(repo.handles).filter((handle: DocHandle<unknown>) => handle.inState([...PENDING_STATES]))

  if (pending.length === 0) {
    return 0
  }

  pending.filter(handle => !handle.isUnavailable()).forEach(handle => { handle.unavailable() })
  // a macrotask: callers of find() see "unavailable" before the handles turn ready
  await new Promise(resolve => setTimeout(resolve, 0))
  pending.forEach(handle => { handle.doneLoading() })

  return pending.length
}
