/**
 * Private networks: peers with the same swarm key connect and sync; a peer with another key, or
 * none, cannot finish a connection (real TCP connections on loopback).
 */
import { expect } from 'aegir/chai'
import { loopbackPeer } from '../harness/peers.ts'
import { newSwarmKey, parseSwarmKey } from '../src/index.ts'
import type { Docpeer } from '../src/index.ts'

describe('access: private networks (swarm key)', function () {
  this.timeout(60_000)
  const key = newSwarmKey()
  let peers: Docpeer[] = []

  afterEach(async () => {
    await Promise.all(peers.map(async peer => peer.stop()))
    peers = []
  })

  it('members with the key connect and sync', async () => {
    const a = await loopbackPeer({ swarmKey: key })
    const b = await loopbackPeer({ swarmKey: key })
    peers = [a, b]

    await b.syncWith(a.libp2p.getMultiaddrs()[0])
    const handle = a.repo!.create({ text: 'private' })
    expect((await b.repo!.find<{ text: string }>(handle.url)).doc().text).to.equal('private')
  })

  it('a peer with another key or with none cannot connect', async () => {
    const member = await loopbackPeer({ swarmKey: key })
    const wrongKey = await loopbackPeer({ swarmKey: newSwarmKey() })
    const noKey = await loopbackPeer()
    peers = [member, wrongKey, noKey]
    const address = member.libp2p.getMultiaddrs()[0]

    for (const outsider of [wrongKey, noKey]) {
      const err = await outsider.dial(address, { signal: AbortSignal.timeout(5_000) }).then(() => undefined, (err: Error) => err)
      expect(err?.name, 'the dial should fail').to.be.a('string')
      expect(member.libp2p.getConnections(outsider.peerId)).to.have.length(0)
    }

    // and the member cannot reach them either
    const out = await member.dial(noKey.libp2p.getMultiaddrs()[0], { signal: AbortSignal.timeout(5_000) }).then(() => undefined, (err: Error) => err)
    expect(out?.name, 'the dial should fail').to.be.a('string')
    expect(member.libp2p.getConnections(noKey.peerId)).to.have.length(0)
  })

  it('refuses a malformed key with a clear error', async () => {
    expect(() => parseSwarmKey('not a key')).to.throw().with.property('name', 'InvalidSwarmKeyError')
  })
})
