import { randomBytes } from 'node:crypto'
import { expect } from 'aegir/chai'
import { createSyncPeer, nextEvent, stopSyncPeers, waitFor } from '../harness/sync-nodes.ts'
import type { SyncPeer } from '../harness/sync-nodes.ts'

interface TestDoc {
  text?: string
  count?: number
}

describe('sync: two peers over libp2p', () => {
  let peers: SyncPeer[] = []

  afterEach(async () => {
    await stopSyncPeers(peers)
    peers = []
  })

  it('syncs a document both ways between two Repos', async () => {
    const alice = await createSyncPeer('alice')
    const bob = await createSyncPeer('bob')
    peers = [alice, bob]

    const aliceUp = nextEvent(alice.adapter, 'peer-candidate')
    const bobUp = nextEvent(bob.adapter, 'peer-candidate')
    await alice.node.dial(bob.node.getMultiaddrs()[0])
    expect((await aliceUp).peerId).to.equal('bob')
    expect((await bobUp).peerId).to.equal('alice')

    const handle = alice.repo!.create<TestDoc>({ text: 'hello' })
    const bobHandle = await bob.repo!.find<TestDoc>(handle.url)
    expect(bobHandle.doc().text).to.equal('hello')

    bobHandle.change(d => { d.count = 1 })
    await waitFor(() => handle.doc().count === 1, 10_000, 'alice to see bob\'s change')

    handle.change(d => { d.text = 'bye' })
    await waitFor(() => bobHandle.doc().text === 'bye', 10_000, 'bob to see alice\'s change')
  })

  it('emits peer-disconnected on both sides when one side disconnects', async () => {
    const alice = await createSyncPeer('alice', { repo: false })
    const bob = await createSyncPeer('bob', { repo: false })
    peers = [alice, bob]

    alice.adapter.connect('alice' as any)
    bob.adapter.connect('bob' as any)
    const up = Promise.all([nextEvent(alice.adapter, 'peer-candidate'), nextEvent(bob.adapter, 'peer-candidate')])
    await alice.node.dial(bob.node.getMultiaddrs()[0])
    await up

    const down = Promise.all([nextEvent(alice.adapter, 'peer-disconnected'), nextEvent(bob.adapter, 'peer-disconnected')])
    alice.adapter.disconnect()
    const [a, b] = await down
    expect(a.peerId).to.equal('bob')
    expect(b.peerId).to.equal('alice')

    // and back
    const again = Promise.all([nextEvent(alice.adapter, 'peer-candidate'), nextEvent(bob.adapter, 'peer-candidate')])
    alice.adapter.connect('alice' as any)
    await again
  })

  it('syncs a 20 MB document', async function () {
    this.timeout(120_000)
    const alice = await createSyncPeer('alice')
    const bob = await createSyncPeer('bob')
    peers = [alice, bob]

    await alice.node.dial(bob.node.getMultiaddrs()[0])
    await alice.adapter.whenReady()

    // random bytes: automerge compresses what it can, and the point is a 20 MB frame on the wire
    const blob = new Uint8Array(randomBytes(20 * 1024 * 1024))
    let largest = 0
    bob.adapter.on('message', msg => { largest = Math.max(largest, msg.data?.byteLength ?? 0) })
    const handle = alice.repo!.create<{ blob?: Uint8Array }>({ blob })

    const bobHandle = await bob.repo!.find<{ blob?: Uint8Array }>(handle.url)
    const received = bobHandle.doc().blob
    expect(received?.byteLength).to.equal(blob.byteLength)
    expect(Buffer.from(received ?? []).equals(blob)).to.equal(true)
    expect(largest).to.be.greaterThan(20 * 1024 * 1024)
  })
})
