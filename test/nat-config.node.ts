/**
 * The pieces of issue 12 a Node test can check without a network: ICE server URLs, the announce
 * filter for relayed addresses, the CLI's --stun/--turn flags, and reachability on loopback.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'aegir/chai'
import { loopbackPeer } from '../harness/peers.ts'
import { relayedAddressFilter } from '../src/config/announce-filter.ts'
import { iceServersFrom } from '../src/config/ice.ts'
import { runCli } from './fixtures/cli.ts'

const RELAY = '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq'
const SELF = '12D3KooWQF12LQhfrpPVHDg2DAbT7zLUuEfEzWtUTd6iWLwgqoQa'

function filter (addrs: string[]): string[] {
  return relayedAddressFilter(addrs.map(a => multiaddr(a))).map(ma => ma.toString())
}

describe('NAT options', () => {
  it('iceServersFrom: STUN and TURN URLs with credentials; clear errors for bad ones', () => {
    expect(iceServersFrom({ stun: ['stun:192.0.2.1:3478'], turn: ['turn:192.0.2.1:3478'], username: 'u', credential: 'p' })).to.deep.equal([
      { urls: 'stun:192.0.2.1:3478' },
      { urls: 'turn:192.0.2.1:3478', username: 'u', credential: 'p' }
    ])
    expect(() => iceServersFrom({ stun: ['http://192.0.2.1'] })).to.throw().with.property('name', 'InvalidIceServerError')
    expect(() => iceServersFrom({ turn: ['turn:192.0.2.1:3478'] })).to.throw(/user name and a password/)
  })

  it('announce filter: no circuit addresses on a relay\'s loopback or WebRTC Direct address when a better one exists; WebRTC over plain relayed', () => {
    const pub = `/ip4/198.51.100.1/tcp/4101/p2p/${RELAY}/p2p-circuit`
    const lo = `/ip4/127.0.0.1/tcp/4101/p2p/${RELAY}/p2p-circuit`
    const direct = `/ip4/198.51.100.1/udp/4104/webrtc-direct/certhash/uEiAkH5a4DPGKUuOBjYw0CgwjvcJCJMD2K_1aluKR_tpevQ/p2p/${RELAY}/p2p-circuit`
    const lan = '/ip4/10.0.1.2/tcp/4101'

    expect(filter([lan, pub, lo, direct, `${pub}/webrtc/p2p/${SELF}`, `${lo}/webrtc/p2p/${SELF}`])).to.deep.equal([lan, `${pub}/webrtc/p2p/${SELF}`])
    // a relay known only on loopback (a test on one machine) keeps its addresses
    expect(filter([lo])).to.deep.equal([lo])
  })

  it('docpeer daemon: --turn without credentials and a malformed --stun exit 2 with the reason', async () => {
    const noCredentials = await runCli(['daemon', '--turn', 'turn:192.0.2.1:3478'])
    expect(noCredentials.code).to.equal(2)
    expect(noCredentials.stderr).to.include('user name and a password')

    const badStun = await runCli(['daemon', '--stun', 'stun://x/y'])
    expect(badStun.code).to.equal(2)
    expect(badStun.stderr).to.include('not a STUN URL')
  })

  it('reachability on loopback: not public, no reservation, the connection is direct', async () => {
    const a = await loopbackPeer()
    const b = await loopbackPeer()

    try {
      await b.dial(a.libp2p.getMultiaddrs()[0])
      const reach = b.reachability()
      expect(reach.status).to.equal('unknown')
      expect(reach.reservations).to.deep.equal([])
      expect(reach.connections.map(c => [c.peer, c.kind, c.limited])).to.deep.equal([[a.peerId.toString(), 'direct', false]])
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })
})
