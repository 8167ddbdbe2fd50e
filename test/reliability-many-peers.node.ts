/**
 * Issue 7, scenario 5 (CI size): 20 peers converge on 5 documents through one server-role peer in
 * its own process. `npm run soak -- --peers 30` (or more) runs the full size and prints the figures.
 */
import { expect } from 'aegir/chai'
import { runManyPeers } from '../harness/soak/many-peers.ts'

describe('reliability: many peers through one server', function () {
  this.timeout(300_000)

  it('converges every document on every peer', async () => {
    const result = await runManyPeers({ peers: 20, docs: 5 })
    const summary = JSON.stringify(result)

    expect(result.crashes, summary).to.equal(0)
    expect(result.converged, summary).to.be.true()
    expect(result.missing, summary).to.equal(0)
    expect(result.serverSyncPeers, summary).to.equal(20)
  })
})
