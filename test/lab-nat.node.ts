/**
 * The NAT lab, CI-sized (needs root: network namespaces and iptables; installs iptables and coturn
 * with apt-get when missing). Full runs with figures: `npm run lab`. Everything runs in namespaces
 * with no route out of the lab; the document-holding peers sit behind NATs and the server keeps no
 * documents.
 */
import { expect } from 'aegir/chai'
import { discoverDirect, runNatPair, withNatLab } from '../harness/lab/scenarios.ts'
import { runShutdownSoak } from '../harness/lab/shutdown.ts'

const prefix = `dp-nat-t${process.pid}-`

describe('NAT lab', function () {
  this.timeout(180_000)

  it('easy NAT to easy NAT: a direct WebRTC connection (STUN), and a change syncs over it', async () => {
    const result = await runNatPair({ prefix, natA: 'easy', natB: 'easy', ice: 'stun', runs: 1 })
    const [run] = result.runs
    expect(run.error).to.equal(undefined)
    expect(run.ok).to.equal(true)
    expect(run.path).to.include('/p2p-circuit/webrtc')
    // A knows it is behind a NAT, holds a reservation on the server, and its link to B is WebRTC
    expect(run.reachability?.status).to.equal('behind-nat')
    expect(run.reachability?.reservations).to.have.lengthOf(1)
    expect(run.reachability?.kindToB).to.equal('webrtc')
  })

  for (const { natA, where } of [{ natA: 'easy', where: 'one side' }, { natA: 'hard', where: 'both sides' }] as const) {
    it(`hard NAT on ${where}: sync over WebRTC through the lab's TURN server, the server keeps no documents`, async () => {
      const result = await runNatPair({ prefix, natA, natB: 'hard', ice: 'stun+turn', runs: 1 })
      const [run] = result.runs
      expect(run.error).to.equal(undefined)
      expect(run.ok).to.equal(true)
      expect(run.path).to.include('/p2p-circuit/webrtc')
      expect(result.turnAllocations).to.be.greaterThan(0)
    })
  }

  it('without a STUN server the same NATs give no direct connection (the lab really NATs)', async () => {
    const result = await runNatPair({ prefix, natA: 'easy', natB: 'easy', ice: 'none', runs: 1, runTimeout: 60_000 })
    expect(result.runs[0].ok).to.equal(false)
  })

  it('daemons on the same server find each other (pubsub discovery) and connect directly', async () => {
    const found = await withNatLab({ prefix, natA: 'easy', natB: 'easy' }, async (lab, coturn, server, serverAddr) =>
      discoverDirect(lab, serverAddr, [{ urls: coturn.stunUrl }]))
    expect(found.addr).to.include('/webrtc')
  })

  it('a CLI daemon and a CLI server (WebRTC Direct on 4104/udp) with WebRTC peers connected exit 0 on SIGINT and SIGTERM', async () => {
    const stops = await runShutdownSoak({ prefix, rounds: 2 })
    expect(stops.map(s => `${s.who} ${s.signal} ${s.exit}`)).to.deep.equal([
      'daemon SIGINT exit 0', 'server SIGINT exit 0', 'daemon SIGTERM exit 0', 'server SIGTERM exit 0'
    ])
    expect(stops.every(s => s.webrtcConnections > 0)).to.equal(true)
    // the daemon says it is behind a NAT; the server, on an address libp2p counts as private, warns
    // that it has no public address to announce
    expect(stops[0].reachability).to.include('behind-nat')
    expect(stops[1].reachability).to.include('warning')
  })
})
