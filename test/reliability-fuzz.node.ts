/**
 * Issue 7, scenario 1 (CI size): a hostile peer fuzzes the sync protocol of a server-role peer while
 * an honest peer edits a document with it. `npm run soak -- --fuzz 100000` runs the long version.
 */
import { expect } from 'aegir/chai'
import { MiB } from '../harness/memory.ts'
import { runFuzz } from '../harness/soak/fuzz.ts'

/** heap growth allowed over the run (hostile, target and honest peers share this process) */
const HEAP_BOUND = 32 * MiB

describe('reliability: fuzzing the sync protocol', function () {
  this.timeout(180_000)

  it('survives malformed input on every stream, refuses each with a logged reason, and the honest peer converges', async () => {
    const result = await runFuzz({ inputs: 3000 })
    const summary = JSON.stringify({ ...result, reasons: undefined })

    expect(result.inputs, summary).to.equal(3000)
    expect(result.crashes, summary).to.equal(0)
    expect(result.targetAlive, summary).to.be.true()
    // every stream ended the way its input calls for (reset, or error reply and close)
    expect(result.outcomes.hung, summary).to.equal(0)
    expect(result.outcomes['open-failed'], summary).to.equal(0)
    expect(result.unexpected, `${summary} ${result.unexpectedExamples.join('; ')}`).to.equal(0)
    expect(result.slowUnended, summary).to.equal(0)
    // every sync stream the target accepted logged why it ended (or that it opened)
    expect(result.inboundStreamLoggers, summary).to.be.greaterThan(result.inputs)
    expect(result.inboundStreamsThatLogged, summary).to.equal(result.inboundStreamLoggers)
    expect(result.loggedErrors, summary).to.be.greaterThan(result.inputs / 2)
    // the honest peer never lost its sync and its document converged
    expect(result.honestDisconnects, summary).to.equal(0)
    expect(result.honestConverged, summary).to.be.true()
    // nothing of the hostile peers is kept
    expect(result.targetActiveRemotesAfter, summary).to.equal(1)
    expect(result.targetIdleRemotesAfter, summary).to.equal(0)
    expect(result.heapAfter - result.heapBefore, summary).to.be.lessThan(HEAP_BOUND)
  })
})
