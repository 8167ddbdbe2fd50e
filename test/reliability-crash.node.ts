/**
 * Issue 7, scenario 3 (CI size): a daemon with on-disk storage, in its own process, is killed with
 * SIGKILL at random points while a writer streams changes to it; it reconnects by itself (the writer
 * is its bootstrap peer) and ends with every change. `npm run soak -- --crash 20` runs 20 rounds.
 */
import { expect } from 'aegir/chai'
import { runCrash } from '../harness/soak/crash.ts'

describe('reliability: crash and restart', function () {
  this.timeout(240_000)

  it('loses no change across SIGKILLs, loads what it stored after each, and reconnects by itself', async () => {
    const result = await runCrash({ rounds: 3 })
    const summary = JSON.stringify(result)

    expect(result.kills, summary).to.equal(3)
    expect(result.crashes, summary).to.equal(0)
    expect(result.corruptLoads, summary).to.equal(0)
    expect(result.reconnectFailures, summary).to.equal(0)
    expect(result.reconnectMs, summary).to.have.lengthOf(4)
    expect(result.changesWritten, summary).to.be.greaterThan(0)
    expect(result.changesOnDaemon, summary).to.equal(result.changesWritten)
    expect(result.lostChanges, summary).to.equal(0)
    // the check above is not vacuous: what was on disk after a kill loaded
    expect(result.persistedAfterKill.some(n => n > 0), summary).to.be.true()
  })
})
