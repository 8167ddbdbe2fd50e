/**
 * Share policy: a new document goes to the servers its creator chose and to nobody else until they
 * ask; a server never pushes it to peers that did not ask; a lookup goes to the chosen servers
 * before any other connected peer (real peers on loopback TCP).
 */
import * as Automerge from '@automerge/automerge'
import { generateAutomergeUrl, parseAutomergeUrl, Repo } from '@automerge/automerge-repo'
import { BroadcastChannelNetworkAdapter } from '@automerge/automerge-repo-network-broadcastchannel'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import { expect } from 'aegir/chai'
import { lastStep, loopbackPeer, sleep, waitFor } from '../harness/peers.ts'
import { createSyncPeer, stopSyncPeers } from '../harness/sync-nodes.ts'
import { automergeWebSocketBridge } from '../src/bridge/index.ts'
import type { Docpeer } from '../src/index.ts'

describe('access: documents go only where they are asked for or meant to go', function () {
  this.timeout(60_000)
  let peers: Docpeer[] = []

  afterEach(async () => {
    await Promise.all(peers.map(async peer => peer.stop()))
    peers = []
  })

  /**
   * A LAN of daemons without a server: a seeker (60 s lookup timeout) that a holder and a bystander
   * dialed, not chosen, as LAN discovery connects them; the bystander knows only the seeker. With a
   * DHT (the default), which finds no servers here: a lookup must not wait for it.
   */
  async function lanOfThree (): Promise<{ seeker: Docpeer, holder: Docpeer, bystander: Docpeer }> {
    const [seeker, holder, bystander] = await Promise.all([loopbackPeer({ repo: { storage: 'memory', lookupTimeout: 60_000 } }), loopbackPeer(), loopbackPeer()])
    peers = [seeker, holder, bystander]
    await holder.libp2p.dial(seeker.libp2p.getMultiaddrs()[0])
    await bystander.libp2p.dial(seeker.libp2p.getMultiaddrs()[0])
    await waitFor(() => [holder, bystander].every(p => seeker.repo!.peers.includes(p.peerId.toString() as any)), 20_000, 'the seeker to sync with both')
    return { seeker, holder, bystander }
  }

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

  it('a peer whose messages go through another adapter (a tab\'s BroadcastChannel) keeps that adapter\'s share policy while libp2p also reaches it', async () => {
    // two tabs of one origin: the channel finds them at once, a libp2p connection comes later
    const channelName = `docpeer-test-${Date.now()}-${Math.random()}`
    const [a, b] = await Promise.all([0, 1].map(async () => loopbackPeer({ repo: { storage: 'memory', network: [new BroadcastChannelNetworkAdapter({ channelName })] } })))
    peers = [a, b]
    await waitFor(() => a.repo!.peers.includes(b.peerId.toString() as any) && b.repo!.peers.includes(a.peerId.toString() as any), 10_000, 'the tabs to find each other on the channel')
    await b.libp2p.dial(a.libp2p.getMultiaddrs()[0])
    await waitFor(() => a.syncAdapter!.peers.includes(b.peerId.toString() as any) && b.syncAdapter!.peers.includes(a.peerId.toString() as any), 10_000, 'the libp2p sync between them')

    // offered unasked, as automerge offers every document to a tab (not chosen: libp2p's rules
    // would offer it nothing)
    const handle = a.repo!.create({ step: 1 })
    await waitFor(() => b.repo!.handles[handle.documentId]?.isReady() === true, 10_000, 'the document to reach the other tab unasked')

    // the share decisions made again (as when a chosen server goes away), then libp2p closes
    a.repo!.shareConfigChanged()
    await sleep(200)
    await a.libp2p.hangUp(b.peerId)
    handle.change(d => { d.step = 2 })
    const seen = b.repo!.handles[handle.documentId]
    await waitFor(() => seen.doc()?.step === 2, 10_000, 'the change to reach the other tab over the channel')
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

  it('a lookup asks the chosen server first, and the other connected peers only when the server does not have the document', async () => {
    const server = await loopbackPeer({ role: 'server' })
    // no DHT on the seeker: what it finds, it finds by asking connected peers
    const [creator, seeker, neighbour, holder] = await Promise.all([
      loopbackPeer(),
      loopbackPeer({ dht: false, repo: { storage: 'memory', lookupTimeout: 60_000 } }),
      loopbackPeer(),
      loopbackPeer()
    ])
    peers = [server, creator, seeker, neighbour, holder]
    const address = server.libp2p.getMultiaddrs()[0]
    await creator.syncWith(address)
    await seeker.syncWith(address)
    // connected to the seeker, not chosen by it (as discovery connects peers): the holder has no
    // server, so its document is nowhere else
    await neighbour.libp2p.dial(seeker.libp2p.getMultiaddrs()[0])
    await holder.libp2p.dial(seeker.libp2p.getMultiaddrs()[0])
    await waitFor(() => [neighbour, holder].every(p => seeker.repo!.peers.includes(p.peerId.toString() as any)), 20_000, 'the seeker to sync with its neighbours')

    const onServer = creator.repo!.create({ text: 'on the server' })
    await waitFor(() => server.repo!.handles[onServer.documentId]?.isReady() === true, 20_000, 'the server to receive the document')
    expect((await seeker.repo!.find<{ text: string }>(onServer.url)).doc().text).to.equal('on the server')
    await sleep(1000)
    expect(neighbour.repo!.handles[onServer.documentId], 'asked though the server had it').to.equal(undefined)
    expect(holder.repo!.handles[onServer.documentId], 'asked though the server had it').to.equal(undefined)

    // two finds at once (two parts of an app): the second must not give up because the first
    // already asked everyone
    const local = holder.repo!.create({ text: 'only here' })
    const both = await Promise.all([seeker.repo!.find<{ text: string }>(local.url), seeker.repo!.find<{ text: string }>(local.url)])
    expect(both.map(found => found.doc().text)).to.deep.equal(['only here', 'only here'])
    // the neighbour, which does not hold it, was asked by key: it learned neither the id nor the content
    await sleep(1000)
    expect(neighbour.repo!.handles[local.documentId], 'the neighbour learned the document').to.equal(undefined)

    // nobody has it: the neighbours' answers end the lookup, not the 60 s lookup timeout
    const started = Date.now()
    const missing = await seeker.repo!.find(generateAutomergeUrl()).then(() => 'found', (err: Error) => err.message)
    expect(missing).to.match(/unavailable/)
    expect(Date.now() - started).to.be.below(30_000)
  })

  it('with no chosen peer connected (a LAN of daemons), a lookup asks by key: the document reaches only the peer that looked for it', async () => {
    const { seeker, holder, bystander } = await lanOfThree()

    const first = holder.repo!.create({ text: 'first' })
    const second = holder.repo!.create({ text: 'second' })
    const started = Date.now()
    expect((await seeker.repo!.find<{ text: string }>(first.url)).doc().text).to.equal('first')
    expect(Date.now() - started, 'the find waited for the DHT').to.be.below(30_000)
    // a find whose caller waits on the handle itself (it accepts `unavailable`)
    const waiting = await seeker.repo!.find<{ text: string }>(second.url, { allowableStates: ['ready', 'unavailable'] })
    await waiting.whenReady(['ready'])
    expect(waiting.doc().text).to.equal('second')

    // what a push would need: the seeker's next sync rounds, after a change as well
    waiting.change(doc => { doc.text = 'second, changed' })
    await sleep(1000)
    for (const handle of [first, second]) {
      expect(bystander.repo!.handles[handle.documentId], 'the bystander learned the document').to.equal(undefined)
    }

    // asking works, by key as well: the bystander's one connected peer holds it now
    expect((await bystander.repo!.find<{ text: string }>(second.url)).doc().text).to.equal('second, changed')
  })

  it('findWithProgress() looks up as find() does: by key from a LAN neighbour, and `unavailable` for a document nobody has without waiting out the lookup timeout', async () => {
    const { seeker, holder, bystander } = await lanOfThree()

    const held = holder.repo!.create({ text: 'held' })
    const steps: string[] = []
    const found = await lastStep(seeker.repo!.findWithProgress<{ text: string }>(held.url), steps)
    expect(found.state, `steps: ${steps.join(', ')}`).to.equal('ready')
    expect(found.handle.doc()?.text).to.equal('held')
    // found once, it is ready at once
    expect(seeker.repo!.findWithProgress(held.url).state).to.equal('ready')
    await sleep(1000)
    expect(bystander.repo!.handles[held.documentId], 'the bystander learned the document').to.equal(undefined)

    // nobody has it: both neighbours answer, and the DHT has no server to ask
    const missing = generateAutomergeUrl()
    let started = Date.now()
    expect((await lastStep(seeker.repo!.findWithProgress(missing))).state).to.equal('unavailable')
    expect(Date.now() - started, 'findWithProgress waited for the DHT').to.be.below(30_000)
    started = Date.now()
    expect(await seeker.repo!.find(generateAutomergeUrl()).then(() => 'found', (err: Error) => err.message)).to.match(/unavailable/)
    expect(Date.now() - started, 'find waited for the DHT').to.be.below(30_000)

    // once a neighbour has it, asking again looks it up again (the seeker's handle is `unavailable`)
    holder.repo!.import(Automerge.save(Automerge.from({ text: 'came later' })), { docId: parseAutomergeUrl(missing).documentId })
    const later = await lastStep(seeker.repo!.findWithProgress<{ text: string }>(missing))
    expect(later.state).to.equal('ready')
    expect(later.handle.doc()?.text).to.equal('came later')
  })

  it('with no chosen peer connected, a neighbour that cannot be asked by key (automerge-repo on docpeer\'s adapter alone) is asked by id', async () => {
    const seeker = await loopbackPeer()
    peers = [seeker]
    // a plain Repo that offers nothing unasked: it has to be asked for its document
    const plain = await createSyncPeer('', { peerIdMatchesLibp2p: true, repo: false })
    const plainRepo = new Repo({ network: [plain.adapter], peerId: plain.node.peerId.toString() as any, sharePolicy: async () => false })

    try {
      await plain.adapter.syncWith(await plain.node.dial(seeker.libp2p.getMultiaddrs()[0]))
      const held = plainRepo.create({ text: 'plain' })
      expect((await seeker.repo!.find<{ text: string }>(held.url, { signal: AbortSignal.timeout(20_000) })).doc().text).to.equal('plain')
    } finally {
      await plainRepo.shutdown()
      await stopSyncPeers([plain])
    }
  })

  it('a bridge client\'s lookup on a daemon whose chosen server lacks the document asks the daemon\'s other peers by key, as the daemon\'s own would', async () => {
    const bridge = await automergeWebSocketBridge({ port: 0, host: '127.0.0.1' })
    const server = await loopbackPeer({ role: 'server' })
    peers = [server]
    const daemon = await loopbackPeer({ repo: { storage: 'memory', network: [bridge.adapter], lookupTimeout: 60_000 }, bootstrap: [server.libp2p.getMultiaddrs()[0].toString()] })
    peers.push(daemon)
    // made once the daemon serves the bridge: a client that finds no Repo behind it retries 5 s later
    const wsRepo = new Repo({ network: [new WebSocketClientAdapter(bridge.url)] })

    try {
      const [holder, bystander] = await Promise.all([loopbackPeer(), loopbackPeer()])
      peers.push(holder, bystander)
      await waitFor(() => daemon.repo!.peers.includes(server.peerId.toString() as any), 20_000, 'the daemon to sync with its server')
      await holder.libp2p.dial(daemon.libp2p.getMultiaddrs()[0])
      await bystander.libp2p.dial(daemon.libp2p.getMultiaddrs()[0])
      await waitFor(() => [holder, bystander].every(p => daemon.repo!.peers.includes(p.peerId.toString() as any)), 20_000, 'the daemon to sync with both')
      await waitFor(() => wsRepo.peers.length > 0, 20_000, 'the client to join the daemon')

      const held = holder.repo!.create({ text: 'held by a neighbour' })
      const found = await wsRepo.find<{ text: string }>(held.url, { signal: AbortSignal.timeout(50_000) })
      expect(found.doc().text).to.equal('held by a neighbour')
      await sleep(1000)
      expect(bystander.repo!.handles[held.documentId], 'the bystander learned the document').to.equal(undefined)

      // the server's documents come as before
      const onServer = server.repo!.create({ text: 'on the server' })
      expect((await wsRepo.find<{ text: string }>(onServer.url, { signal: AbortSignal.timeout(50_000) })).doc().text).to.equal('on the server')
    } finally {
      await wsRepo.shutdown()
      await Promise.all(peers.splice(0).map(async peer => peer.stop()))
      await bridge.close()
    }
  })

  it('a bridge client\'s lookup on a daemon with no chosen peer asks the daemon\'s peers by key: only the holder learns the document', async () => {
    const bridge = await automergeWebSocketBridge({ port: 0, host: '127.0.0.1' })
    // an app using automerge's own WebSocket client, through the daemon
    const wsRepo = new Repo({ network: [new WebSocketClientAdapter(bridge.url)] })

    try {
      const daemon = await loopbackPeer({ repo: { storage: 'memory', network: [bridge.adapter], lookupTimeout: 60_000 } })
      const [holder, bystander] = await Promise.all([loopbackPeer(), loopbackPeer()])
      peers = [daemon, holder, bystander]
      await holder.libp2p.dial(daemon.libp2p.getMultiaddrs()[0])
      await bystander.libp2p.dial(daemon.libp2p.getMultiaddrs()[0])
      await waitFor(() => [holder, bystander].every(p => daemon.repo!.peers.includes(p.peerId.toString() as any)), 20_000, 'the daemon to sync with both')
      // the client asks only the peers it has: the daemon's join answered
      await waitFor(() => wsRepo.peers.length > 0, 20_000, 'the client to join the daemon')

      const held = holder.repo!.create({ text: 'held' })
      const started = Date.now()
      const found = await wsRepo.find<{ text: string }>(held.url, { signal: AbortSignal.timeout(50_000) })
      expect(found.doc().text).to.equal('held')
      // the daemon's sync with the holder must not wait for the daemon's lookup to end
      expect(Date.now() - started, 'the lookup waited out its timeout').to.be.below(30_000)
      await sleep(1000)
      expect(bystander.repo!.handles[held.documentId], 'the bystander learned the document').to.equal(undefined)
    } finally {
      await wsRepo.shutdown()
      await Promise.all(peers.splice(0).map(async peer => peer.stop()))
      await bridge.close()
    }
  })
})
