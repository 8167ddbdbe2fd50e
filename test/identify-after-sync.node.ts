/**
 * Identify on a new connection waits for docpeer's sync handshake on it (src/config/deferred-identify.ts,
 * src/node/sync-first.ts), so the two do not share the event loop: dial to sync-ready on both sides
 * (bench w4) took 34-42 ms with identify at once, 21-27 ms after. What identify tells the other
 * services must still come, and soon, whatever the peer on the other end is.
 */
import { expect } from 'aegir/chai'
import { bareNode, loopbackPeer, waitFor } from '../harness/peers.ts'
import { DEFAULT_HANDSHAKE_TIMEOUT, SYNC_PROTOCOL } from '../src/index.ts'
import { IDENTIFY_WAIT } from '../src/node/sync-first.ts'
import type { Docpeer } from '../src/index.ts'
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'

/** resolves with the time `node` finished identifying `remote` */
async function identified (node: Libp2p, remote: PeerId): Promise<number> {
  return new Promise(resolve => {
    const onIdentify = (evt: CustomEvent<{ peerId: PeerId }>): void => {
      if (evt.detail.peerId.equals(remote)) {
        node.removeEventListener('peer:identify', onIdentify)
        resolve(performance.now())
      }
    }
    node.addEventListener('peer:identify', onIdentify)
  })
}

/** what happens first on `peer` about `remote`: sync up ('sync') and identify done ('identify') */
function order (peer: Docpeer, remote: Docpeer): string[] {
  const events: string[] = []
  peer.syncAdapter?.on('peer-candidate', ({ peerId }) => {
    if (peerId === remote.peerId.toString()) {
      events.push('sync')
    }
  })
  void identified(peer.libp2p, remote.peerId).then(() => { events.push('identify') })
  return events
}

describe('identify after the sync handshake', function () {
  this.timeout(30_000)

  const peers: Docpeer[] = []
  const nodes: Libp2p[] = []

  afterEach(async () => {
    await Promise.all(peers.splice(0).map(async peer => { await peer.stop() }))
    await Promise.all(nodes.splice(0).map(async node => { await node.stop() }))
  })

  it('runs on both ends of a new connection once sync is up, and still tells the peer store', async () => {
    const a = await loopbackPeer()
    const b = await loopbackPeer()
    peers.push(a, b)
    const onA = order(a, b)
    const onB = order(b, a)

    await a.dial(b.libp2p.getMultiaddrs()[0])
    await waitFor(() => onA.length === 2 && onB.length === 2, 10_000, 'sync and identify on both ends')

    expect(onA).to.deep.equal(['sync', 'identify'])
    expect(onB).to.deep.equal(['sync', 'identify'])
    // what identify is for: the remote's protocols and agent, for the services it tells
    const stored = await a.libp2p.peerStore.get(b.peerId)
    expect(stored.protocols).to.include(SYNC_PROTOCOL)
    expect(stored.metadata.get('AgentVersion')).to.not.equal(undefined)
  })

  it('identifies a peer that does not speak the sync protocol at once (the handshake fails in one round trip)', async () => {
    const peer = await loopbackPeer()
    const plain = await bareNode()
    peers.push(peer)
    nodes.push(plain)

    const started = performance.now()
    const done = identified(peer.libp2p, plain.peerId)
    await peer.dial(plain.getMultiaddrs()[0])

    expect(await done - started).to.be.below(IDENTIFY_WAIT)
  })

  it('identifies a peer that takes the sync stream and never answers after IDENTIFY_WAIT, not the handshake timeout', async () => {
    const peer = await loopbackPeer()
    const silent = await bareNode()
    peers.push(peer)
    nodes.push(silent)
    // holds every sync stream open without a word
    const held: Stream[] = []
    await silent.handle(SYNC_PROTOCOL, stream => { held.push(stream) })

    const started = performance.now()
    const done = identified(peer.libp2p, silent.peerId)
    await peer.dial(silent.getMultiaddrs()[0])
    const took = await done - started

    expect(held).to.not.have.lengthOf(0)
    expect(took).to.be.at.least(IDENTIFY_WAIT - 50)
    expect(took).to.be.below(DEFAULT_HANDSHAKE_TIMEOUT / 2)
  })

  it('identifies at once on a peer without a Repo', async () => {
    const bare = await loopbackPeer({ repo: false })
    const other = await loopbackPeer()
    peers.push(bare, other)

    const started = performance.now()
    const done = identified(bare.libp2p, other.peerId)
    await bare.dial(other.libp2p.getMultiaddrs()[0])

    expect(await done - started).to.be.below(IDENTIFY_WAIT)
  })
})
