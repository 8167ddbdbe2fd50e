/**
 * The adapter's security options and connection rules on real libp2p nodes: automerge peer id
 * bound to the libp2p peer id, allow and deny lists, no sync over limited (relayed) connections by
 * default, one peer per remote under simultaneous connects, nothing sent after disconnect.
 */
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { expect } from 'aegir/chai'
import { createNode, createSyncPeer, nextEvent, stopSyncPeers, waitFor } from '../harness/sync-nodes.ts'
import { SYNC_PROTOCOL } from '../src/sync/index.ts'
import { RawPeer } from './fixtures/sync-raw-peer.ts'
import type { SyncPeer } from '../harness/sync-nodes.ts'
import type { Message } from '@automerge/automerge-repo'
import type { Libp2p } from '@libp2p/interface'

const pause = async (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

describe('sync: security options and connection rules', () => {
  let peers: SyncPeer[] = []
  let nodes: Libp2p[] = []

  afterEach(async () => {
    await stopSyncPeers(peers)
    await Promise.all(nodes.map(async node => node.stop()))
    peers = []
    nodes = []
  })

  async function node (): Promise<Libp2p> {
    const n = await createNode()
    nodes.push(n)
    return n
  }

  describe('peerIdMatchesLibp2p', () => {
    it('accepts peers whose automerge peer id is their libp2p peer id', async () => {
      const n1 = await node()
      const n2 = await node()
      const a = await createSyncPeer(n1.peerId.toString(), { node: n1, peerIdMatchesLibp2p: true })
      const b = await createSyncPeer(n2.peerId.toString(), { node: n2, peerIdMatchesLibp2p: true })
      peers.push(a, b)

      const up = nextEvent(a.adapter, 'peer-candidate')
      await n1.dial(n2.getMultiaddrs()[0])
      expect((await up).peerId).to.equal(n2.peerId.toString())

      const handle = a.repo!.create({ x: 1 })
      const found = await b.repo!.find<{ x: number }>(handle.url)
      expect(found.doc().x).to.equal(1)
    })

    it('refuses a peer that presents another automerge peer id', async () => {
      const n1 = await node()
      const target = await createSyncPeer(n1.peerId.toString(), { node: n1, peerIdMatchesLibp2p: true })
      peers.push(target)
      const mallory = new RawPeer(await node(), 'mallory')

      const { raw, reply } = await mallory.join(n1.getMultiaddrs()[0])
      expect(reply).to.include({ type: 'error', targetId: 'mallory' })
      expect(reply.message).to.include('presented automerge peer id mallory')
      await raw.remoteDone
      expect(target.adapter.peers).to.deep.equal([])

      // and a real adapter with the wrong id never comes up, while the right id does
      const liar = await createSyncPeer('not-my-peer-id')
      peers.push(liar)
      const honestNode = await node()
      const honest = await createSyncPeer(honestNode.peerId.toString(), { node: honestNode })
      peers.push(honest)
      await liar.node.dial(n1.getMultiaddrs()[0])
      await honestNode.dial(n1.getMultiaddrs()[0])
      await waitFor(() => target.adapter.peers.length === 1, 10_000, 'the honest peer')
      await pause(200)
      expect(target.adapter.peers).to.deep.equal([honestNode.peerId.toString()])
      expect(liar.adapter.peers).to.deep.equal([])
    })
  })

  describe('allow and deny lists', () => {
    it('refuses denied peers and syncs with the others', async () => {
      const denied = await createSyncPeer('denied')
      const friend = await createSyncPeer('friend')
      const target = await createSyncPeer('target', { deny: [denied.node.peerId] })
      peers.push(denied, friend, target)

      await denied.node.dial(target.node.getMultiaddrs()[0])
      await friend.node.dial(target.node.getMultiaddrs()[0])
      await waitFor(() => target.adapter.peers.includes('friend' as any), 10_000, 'friend')

      // a raw stream from the denied peer is reset before any handshake
      const raw = new RawPeer(denied.node, 'denied')
      denied.adapter.disconnect()
      const { ended } = await raw.open(target.node.getMultiaddrs()[0])
      expect(await ended).to.equal('reset')

      await pause(200)
      expect(target.adapter.peers).to.deep.equal(['friend'])
    })

    it('refuses syncWith() to a denied peer at once, without opening a sync stream', async () => {
      const denied = await createSyncPeer('denied')
      const target = await createSyncPeer('target', { deny: [denied.node.peerId] })
      peers.push(denied, target)
      const connection = await target.node.dial(denied.node.getMultiaddrs()[0])
      let opened = 0
      const newStream = connection.newStream.bind(connection)
      connection.newStream = async (...args) => {
        opened++
        return newStream(...args)
      }

      await expect(target.adapter.syncWith(connection)).to.eventually.be.rejected.with.property('name', 'PeerNotAllowedError')
      expect(opened).to.equal(0)
    })

    it('syncs only with allowed peers', async () => {
      const stranger = await createSyncPeer('stranger')
      const friend = await createSyncPeer('friend')
      const target = await createSyncPeer('target', { allow: [friend.node.peerId.toString()] })
      peers.push(stranger, friend, target)

      await stranger.node.dial(target.node.getMultiaddrs()[0])
      await friend.node.dial(target.node.getMultiaddrs()[0])
      await waitFor(() => target.adapter.peers.includes('friend' as any), 10_000, 'friend')
      await pause(200)
      expect(target.adapter.peers).to.deep.equal(['friend'])
      expect(stranger.adapter.peers).to.deep.equal([])
    })
  })

  describe('limited connections', () => {
    async function relayedPair (runOnLimitedConnection: boolean): Promise<{ a: SyncPeer, b: SyncPeer }> {
      const relay = await createNode({
        services: { identify: identify(), relay: circuitRelayServer() }
      })
      nodes.push(relay)
      const relayAddr = relay.getMultiaddrs()[0]

      const relayClient = async (): Promise<Libp2p> => {
        const { tcp } = await import('@libp2p/tcp')
        const n = await createNode({
          addresses: { listen: ['/ip4/127.0.0.1/tcp/0', `${relayAddr.toString()}/p2p-circuit`] },
          transports: [tcp(), circuitRelayTransport()]
        })
        nodes.push(n)
        return n
      }

      const nodeA = await relayClient()
      const nodeB = await relayClient()
      await waitFor(() => nodeB.getMultiaddrs().some(ma => ma.toString().includes('/p2p-circuit')), 10_000, 'a relay reservation')

      const a = await createSyncPeer('a', { node: nodeA, runOnLimitedConnection })
      const b = await createSyncPeer('b', { node: nodeB, runOnLimitedConnection })
      peers.push(a, b)

      const circuit = nodeB.getMultiaddrs().find(ma => ma.toString().includes('/p2p-circuit'))!
      const connection = await nodeA.dial(circuit)
      expect(connection.limits).to.not.equal(undefined)

      return { a, b }
    }

    it('does not sync over a limited connection by default', async () => {
      const { a, b } = await relayedPair(false)
      await a.adapter.whenReady()
      await pause(500)

      expect(a.adapter.peers).to.deep.equal([])
      expect(b.adapter.peers).to.deep.equal([])
      const syncStreams = a.node.getConnections().flatMap(c => c.streams).filter(s => s.protocol === SYNC_PROTOCOL)
      expect(syncStreams).to.have.lengthOf(0)
    })

    it('syncs over a limited connection when allowed', async () => {
      const { a, b } = await relayedPair(true)
      await waitFor(() => a.adapter.peers.includes('b' as any) && b.adapter.peers.includes('a' as any), 10_000, 'sync over the relay')

      const handle = a.repo!.create({ small: 'doc' })
      const found = await b.repo!.find<{ small: string }>(handle.url)
      expect(found.doc().small).to.equal('doc')
    })
  })

  describe('connection handling', () => {
    it('gives exactly one peer on each side when both dial at once', async () => {
      for (let round = 0; round < 5; round++) {
        const a = await createSyncPeer(`a${round}`, { repo: false })
        const b = await createSyncPeer(`b${round}`, { repo: false })
        peers.push(a, b)
        a.adapter.connect(a.name)
        b.adapter.connect(b.name)
        await Promise.all([a.adapter.whenReady(), b.adapter.whenReady()])

        const events = { a: [] as string[], b: [] as string[] }
        a.adapter.on('peer-candidate', ({ peerId }) => events.a.push(`up ${peerId}`))
        a.adapter.on('peer-disconnected', ({ peerId }) => events.a.push(`down ${peerId}`))
        b.adapter.on('peer-candidate', ({ peerId }) => events.b.push(`up ${peerId}`))
        b.adapter.on('peer-disconnected', ({ peerId }) => events.b.push(`down ${peerId}`))

        await Promise.all([
          a.node.dial(b.node.getMultiaddrs()[0]),
          b.node.dial(a.node.getMultiaddrs()[0])
        ])
        await waitFor(() => events.a.length > 0 && events.b.length > 0, 10_000, 'both peers up')
        await pause(300)

        expect(events.a).to.deep.equal([`up b${round}`])
        expect(events.b).to.deep.equal([`up a${round}`])
      }
    })

    it('moves sync to another connection when the one carrying it closes', async () => {
      const a = await createSyncPeer('a')
      const b = await createSyncPeer('b')
      peers.push(a, b)
      await a.node.dial(b.node.getMultiaddrs()[0])
      await waitFor(() => a.adapter.peers.length === 1 && b.adapter.peers.length === 1, 10_000, 'both up')
      await a.node.dial(b.node.getMultiaddrs()[0], { force: true })
      expect(a.node.getConnections(b.node.peerId)).to.have.lengthOf(2)

      const handle = a.repo!.create<{ n: number }>({ n: 0 })
      const bHandle = await b.repo!.find<{ n: number }>(handle.url)

      const events: string[] = []
      a.adapter.on('peer-candidate', ({ peerId }) => events.push(`up ${peerId}`))
      a.adapter.on('peer-disconnected', ({ peerId }) => events.push(`down ${peerId}`))

      const carrying = a.node.getConnections(b.node.peerId).find(c => c.streams.some(s => s.protocol === SYNC_PROTOCOL))
      await carrying?.close()
      await waitFor(() => events.length === 2, 10_000, 'sync on the other connection')
      expect(events).to.deep.equal(['down b', 'up b'])

      handle.change(d => { d.n = 1 })
      await waitFor(() => bHandle.doc().n === 1, 10_000, 'the change over the other connection')
    })

    it('sends nothing after disconnect', async () => {
      const left = await createSyncPeer('left')
      const right = await createSyncPeer('right')
      peers.push(left, right)
      await left.node.dial(right.node.getMultiaddrs()[0])
      await waitFor(() => left.adapter.peers.includes('right' as any) && right.adapter.peers.includes('left' as any), 10_000, 'both up')

      const handle = left.repo!.create<{ n: number }>({ n: 0 })
      const rightHandle = await right.repo!.find<{ n: number }>(handle.url)

      const fromLeft: Message[] = []
      right.adapter.on('message', msg => {
        if (msg.senderId === 'left') {
          fromLeft.push(msg)
        }
      })

      const down = nextEvent(right.adapter, 'peer-disconnected')
      left.adapter.disconnect()
      await down
      fromLeft.length = 0

      // a direct send, a document change and an ephemeral broadcast: none may reach right
      expect(() => {
        left.adapter.send({ type: 'foo', senderId: 'left' as any, targetId: 'right' as any, data: new Uint8Array([1, 2, 3]) })
      }).to.not.throw()
      handle.change(d => { d.n = 1 })
      handle.broadcast({ hello: 'right' })
      await pause(500)

      expect(fromLeft).to.deep.equal([])
      expect(rightHandle.doc().n).to.equal(0)
      const syncStreams = left.node.getConnections().flatMap(c => c.streams).filter(s => s.protocol === SYNC_PROTOCOL)
      expect(syncStreams).to.have.lengthOf(0)

      // and after connect() again the change arrives
      left.adapter.connect('left' as any)
      await waitFor(() => rightHandle.doc().n === 1, 10_000, 'the change after reconnect')
    })
  })
})
