/**
 * Issue 7, scenario 4 (CI size): connect, sync a change, disconnect, 100 times; nothing grows.
 * `npm run soak -- --churn 1000` runs 1000 cycles.
 */
import { expect } from 'aegir/chai'
import { MiB } from '../harness/memory.ts'
import { runChurn } from '../harness/soak/churn.ts'

/**
 * Heap growth allowed over 100 cycles. Measured here: about 2 MiB, most of it the document's own
 * history (one change per cycle, kept on both peers); 1000 cycles grew about 5 MiB.
 */
const HEAP_BOUND = 12 * MiB

describe('reliability: churn', function () {
  this.timeout(240_000)

  it('leaves no connections, streams, peers or listeners behind after 100 connect/disconnect cycles', async () => {
    const result = await runChurn({ cycles: 100, inboundConnectionThreshold: 100 })
    const summary = JSON.stringify(result)

    expect(result.crashes, summary).to.equal(0)
    expect(result.lostChanges, summary).to.equal(0)
    expect(result.leaks, summary).to.deep.equal([])
    expect(result.after.a.connections + result.after.b.connections, summary).to.equal(0)
    expect(result.after.b.adapterRemotes, summary).to.equal(0)
    expect(result.after.b.repoPeers, summary).to.equal(0)
    expect(result.heapGrowth, summary).to.be.lessThan(HEAP_BOUND)
  })
})
