/**
 * Share policy: a new document goes to the servers its creator chose and to nobody else until they
 * ask; a server never pushes it to peers that did not ask (real peers on loopback TCP).
 */
import { expect } from 'aegir/chai'
import { loopbackPeer, sleep, waitFor } from '../harness/peers.ts'
import type { Docpeer } from '../src/index.ts'

describe('access: documents go only where they are asked for or meant to go', function () {
  this.timeout(60_000)
  let peers: Docpeer[] = []

  afterEach(async () => {
    await Promise.all(peers.map(async peer => peer.stop()))
    peers = []
  })

  it('a new document reaches the chosen server, not the peers that did not ask', async () => {
    const server = await loopbackPeer({ role: 'server' })
    const [creator, otherClient, neighbour] = await Promise.all([loopbackPeer(), loopbackPeer(), loopbackPeer()])
    peers = [server, creator, otherClient, neighbour]
    const address = server.libp2p.getMultiaddrs()[0]

    await creator.syncWith(address)
    await otherClient.syncWith(address)
    // connected to the creator, but not chosen by it
    await neighbour.syncWith(creator.libp2p.getMultiaddrs()[0])

    const handle = creator.repo!.create({ text: 'mine' })
    await waitFor(() => server.repo!.handles[handle.documentId]?.isReady() === true, 20_000, 'the server to receive the document')
    // what a push would need: the server's and the creator's next sync rounds
    await sleep(1000)

    expect(otherClient.repo!.handles[handle.documentId], 'pushed by the server').to.equal(undefined)
    expect(neighbour.repo!.handles[handle.documentId], 'pushed by the creator').to.equal(undefined)

    // asking works
    const found = await otherClient.repo!.find<{ text: string }>(handle.url)
    expect(found.doc().text).to.equal('mine')
  })

  it('a server passes a lookup on to the peers it chose only, and the document reaches only the one that asked', async () => {
    // the holder runs a server of its own, which the first server chose (bootstrap)
    const holder = await loopbackPeer({ role: 'server' })
    const server = await loopbackPeer({ role: 'server', bootstrap: [holder.libp2p.getMultiaddrs()[0].toString()] })
    const [asker, bystander] = await Promise.all([loopbackPeer(), loopbackPeer()])
    peers = [server, holder, asker, bystander]
    const address = server.libp2p.getMultiaddrs()[0]
    await waitFor(() => server.repo!.peers.includes(holder.peerId.toString() as any), 20_000, 'the server to sync with the holder')
    await asker.syncWith(address)
    await bystander.syncWith(address)
    // a peer the server did not choose, connected to the holder
    const holderNeighbour = await loopbackPeer()
    peers.push(holderNeighbour)
    await holderNeighbour.syncWith(holder.libp2p.getMultiaddrs()[0])

    const handle = holder.repo!.create({ text: 'held' })
    await sleep(500)
    expect(server.repo!.handles[handle.documentId], 'offered unasked by a server').to.equal(undefined)

    const found = await asker.repo!.find<{ text: string }>(handle.url)
    expect(found.doc().text).to.equal('held')
    await sleep(1000)
    expect(bystander.repo!.handles[handle.documentId], 'asked or pushed to a bystander').to.equal(undefined)
    expect(holderNeighbour.repo!.handles[handle.documentId], 'asked or pushed to the holder\'s neighbour').to.equal(undefined)
  })
})
