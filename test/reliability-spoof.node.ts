/**
 * Issue 7, scenario 2: spoofed sender ids and foreign targets never reach the Repo, against a docpeer
 * peer (automerge id = libp2p peer id) and a bare adapter with free-form ids.
 */
import { expect } from 'aegir/chai'
import { runSpoof } from '../harness/soak/spoof.ts'

describe('reliability: spoofing', function () {
  this.timeout(120_000)

  it('drops every message that claims another sender or another target, and refuses joins under another id', async () => {
    const result = await runSpoof({ rounds: 10 })
    const summary = JSON.stringify(result)

    expect(result.crashes, summary).to.equal(0)
    // the counter works: the hostile peer's own messages, marked the same way, all arrived
    expect(result.controlsSent, summary).to.be.greaterThan(0)
    expect(result.controlsReceived, summary).to.equal(result.controlsSent)
    expect(result.attempts, summary).to.be.greaterThan(200)
    expect(result.reachedRepo, summary).to.equal(0)
    expect(result.joinsAccepted, summary).to.equal(0)
    expect(result.notReset, summary).to.equal(0)
    expect(result.honestDisconnects, summary).to.equal(0)
    // by design: automerge-repo relays ephemeral messages with the origin's sender id, so they may
    // name any origin but us (see src/sync/adapter.ts); counted so a change shows up here
    expect(result.ephemeralOriginClaimsReceived, summary).to.equal(result.ephemeralOriginClaimsSent)
  })
})
