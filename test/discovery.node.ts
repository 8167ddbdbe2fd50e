/**
 * Pubsub peer discovery on docpeer's topic: a peer announces its addresses through the server it is
 * connected to, and a peer with no address to dial announces nothing (each empty announcement
 * still cost the server a signature check and a forward to its mesh).
 */
import { expect } from 'aegir/chai'
import { loopbackPeer, sleep, waitFor } from '../harness/peers.ts'
import { DEFAULT_DISCOVERY_INTERVAL, DEFAULT_DISCOVERY_TOPIC } from '../src/config/constants.ts'
import type { Docpeer } from '../src/index.ts'

describe('discovery: announcements on the server\'s topic', function () {
  this.timeout(30_000)

  const peers: Docpeer[] = []

  afterEach(async () => {
    await Promise.all(peers.splice(0).map(async peer => { await peer.stop() }))
  })

  it('a daemon with an address announces it; a daemon without one stays quiet', async () => {
    const server = await loopbackPeer({ role: 'server', dht: false })
    const listening = await loopbackPeer({ dht: false })
    const silent = await loopbackPeer({ dht: false, listen: [] })
    peers.push(server, listening, silent)

    const from = new Map<string, number>()
    server.libp2p.services.pubsub.addEventListener('message', evt => {
      const message = evt.detail
      if (message.topic === DEFAULT_DISCOVERY_TOPIC && message.type === 'signed') {
        from.set(message.from.toString(), (from.get(message.from.toString()) ?? 0) + 1)
      }
    })

    await listening.dial(server.libp2p.getMultiaddrs()[0])
    await silent.dial(server.libp2p.getMultiaddrs()[0])

    await waitFor(() => (from.get(listening.peerId.toString()) ?? 0) > 0, DEFAULT_DISCOVERY_INTERVAL * 3, 'the listening daemon\'s announcement')
    // by now the silent one has had the same intervals to announce in
    await sleep(DEFAULT_DISCOVERY_INTERVAL)
    expect(silent.libp2p.getMultiaddrs()).to.deep.equal([])
    expect(from.get(silent.peerId.toString()) ?? 0).to.equal(0)
  })
})
