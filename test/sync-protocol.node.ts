/**
 * The sync protocol against odd and hostile remotes, played by raw libp2p streams (dialProtocol +
 * lpStream): garbage instead of a handshake, a wrong protocol version, oversized frames, spoofed
 * senders, foreign targets. The adapter must reset the offending stream and keep syncing with
 * everyone else.
 */
import { expect } from 'aegir/chai'
import { createNode, createSyncPeer, nextEvent, stopSyncPeers, waitFor } from '../harness/sync-nodes.ts'
import { encodeFrame, encodeLengthPrefix, encodeMessage } from '../src/sync/wire/index.ts'
import { RawPeer } from './fixtures/sync-raw-peer.ts'
import type { SyncPeer } from '../harness/sync-nodes.ts'
import type { RawStream } from './fixtures/sync-raw-peer.ts'
import type { Message } from '@automerge/automerge-repo'
import type { Libp2p } from '@libp2p/interface'

interface TestDoc {
  n?: number
}

describe('sync: protocol and hostile peers', () => {
  let peers: SyncPeer[] = []
  let nodes: Libp2p[] = []

  afterEach(async () => {
    await stopSyncPeers(peers)
    await Promise.all(nodes.map(async node => node.stop()))
    peers = []
    nodes = []
  })

  async function rawPeer (name: string): Promise<RawPeer> {
    const node = await createNode()
    nodes.push(node)
    return new RawPeer(node, name)
  }

  /**
   * A raw peer "mallory" that has joined `target` both ways; `seen` collects what the target's
   * adapter accepts from it.
   */
  async function malloryUp (target: SyncPeer): Promise<{ raw: RawStream, seen: Message[] }> {
    const mallory = await rawPeer('mallory')
    await mallory.acceptDialBack()
    const seen: Message[] = []
    target.adapter.on('message', msg => {
      if (msg.senderId === 'mallory') {
        seen.push(msg)
      }
    })
    const { raw } = await mallory.join(target.node.getMultiaddrs()[0])
    await waitFor(() => target.adapter.peers.includes('mallory' as any), 10_000, 'mallory to be up')
    return { raw, seen }
  }

  /**
   * The target and an honest peer that sync one document; returns a check that the honest sync
   * still works.
   */
  async function targetWithHonestPeer (init = {}): Promise<{ target: SyncPeer, honest: SyncPeer, stillSyncs(): Promise<void> }> {
    const target = await createSyncPeer('target', init)
    const honest = await createSyncPeer('honest')
    peers.push(target, honest)
    await honest.node.dial(target.node.getMultiaddrs()[0])

    const handle = target.repo!.create<TestDoc>({ n: 0 })
    const honestHandle = await honest.repo!.find<TestDoc>(handle.url)
    let n = 0

    return {
      target,
      honest,
      stillSyncs: async () => {
        n++
        const value = n
        honestHandle.change(d => { d.n = value })
        await waitFor(() => handle.doc().n === value, 10_000, 'the honest change to reach the target')
      }
    }
  }

  it('resets a stream that starts with garbage instead of a handshake, and keeps syncing with others', async () => {
    const { target, stillSyncs } = await targetWithHonestPeer()
    const mallory = await rawPeer('mallory')

    const raw = await mallory.open(target.node.getMultiaddrs()[0])
    await raw.sendBytes(new Uint8Array([0xff, 0x00, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef]))
    expect(await raw.ended).to.equal('reset')

    // not even length-prefixed: a varint that never ends
    const raw2 = await mallory.open(target.node.getMultiaddrs()[0])
    raw2.stream.send(new Uint8Array(16).fill(0xff))
    expect(await raw2.ended).to.equal('reset')

    await stillSyncs()
    expect(target.adapter.peers).to.deep.equal(['honest'])
  })

  it('answers a join with an unsupported protocol version with an error and closes', async () => {
    const target = await createSyncPeer('target')
    peers.push(target)
    const mallory = await rawPeer('mallory')

    const raw = await mallory.open(target.node.getMultiaddrs()[0])
    await raw.send({ type: 'join', senderId: 'mallory', peerMetadata: {}, supportedProtocolVersions: ['99'] })
    const reply = await raw.read()

    expect(reply).to.include({ type: 'error', senderId: 'target', targetId: 'mallory' })
    expect(reply.message).to.match(/unsupported protocol version/)
    await raw.remoteDone
    expect(raw.stream.remoteWriteStatus).to.equal('closed')
    expect(target.adapter.peers).to.deep.equal([])
  })

  it('drops a message with a spoofed sender and resets the stream, while the honest peer syncs on', async () => {
    const { target, stillSyncs } = await targetWithHonestPeer()
    const mallory = await rawPeer('mallory')
    await mallory.acceptDialBack()

    const seen: Message[] = []
    target.adapter.on('message', msg => { seen.push(msg) })

    const malloryUp = nextEvent(target.adapter, 'peer-candidate')
    const { raw, reply } = await mallory.join(target.node.getMultiaddrs()[0])
    expect(reply).to.include({ type: 'peer', senderId: 'target', targetId: 'mallory', selectedProtocolVersion: '1' })
    expect((await malloryUp).peerId).to.equal('mallory')

    const down = nextEvent(target.adapter, 'peer-disconnected')
    // mallory claims a sync message came from the honest peer
    await raw.send({ type: 'sync', senderId: 'honest', targetId: 'target', documentId: '4NMNnkMhL8jXrdJ9jamS58PAVdXu', data: new Uint8Array([9, 9, 9]) })

    expect(await raw.ended).to.equal('reset')
    expect((await down).peerId).to.equal('mallory')
    expect(seen.filter(msg => msg.data?.[0] === 9)).to.deep.equal([])

    await stillSyncs()
    expect(target.adapter.peers).to.deep.equal(['honest'])
  })

  it('drops a message addressed to another peer and resets the stream', async () => {
    const { target, stillSyncs } = await targetWithHonestPeer()
    const { raw, seen } = await malloryUp(target)

    await raw.send({ type: 'sync', senderId: 'mallory', targetId: 'honest', documentId: '4NMNnkMhL8jXrdJ9jamS58PAVdXu', data: new Uint8Array([9, 9, 9]) })

    expect(await raw.ended).to.equal('reset')
    // seen holds mallory's messages only
    expect(seen).to.deep.equal([])
    await stillSyncs()
  })

  it('resets the stream on a frame larger than maxMessageSize', async () => {
    const { target, stillSyncs } = await targetWithHonestPeer({ maxMessageSize: 64 * 1024 })
    const { raw, seen } = await malloryUp(target)

    // a frame just under the limit is fine
    await raw.send({ type: 'foo', senderId: 'mallory', targetId: 'target', data: new Uint8Array(60 * 1024) })
    await waitFor(() => seen.length === 1, 10_000, 'the frame under the limit')

    await raw.send({ type: 'foo', senderId: 'mallory', targetId: 'target', data: new Uint8Array(65 * 1024) })
    expect(await raw.ended).to.equal('reset')
    expect(seen).to.have.lengthOf(1)
    await stillSyncs()
  })

  it('reads frames however the bytes are split: one byte per write, and many frames in one write', async () => {
    const { target, stillSyncs } = await targetWithHonestPeer()
    const { raw, seen } = await malloryUp(target)
    const frame = (n: number): Uint8Array => {
      // a 300-byte payload needs a two-byte length prefix
      return encodeFrame(encodeMessage({ type: 'foo', senderId: 'mallory', targetId: 'target', n, data: new Uint8Array(300) }))
    }

    for (const byte of frame(0)) {
      raw.stream.send(Uint8Array.of(byte))
      await new Promise(resolve => setImmediate(resolve))
    }

    raw.stream.send(Uint8Array.from(Array.from({ length: 50 }, (_, i) => [...frame(i + 1)]).flat()))

    await waitFor(() => seen.length === 51, 10_000, 'all 51 frames')
    expect(seen.map(msg => (msg as any).n)).to.deep.equal(Array.from({ length: 51 }, (_, i) => i))
    await stillSyncs()
  })

  it('resets a stream the remote ends inside a frame, and keeps syncing with others', async () => {
    const { target, stillSyncs } = await targetWithHonestPeer()
    const { raw } = await malloryUp(target)

    // a prefix announcing 1000 bytes, 10 of them, then the end of mallory's writing side
    raw.stream.send(Uint8Array.of(...encodeLengthPrefix(1000), ...new Uint8Array(10)))
    await raw.stream.close()

    await waitFor(() => !target.adapter.peers.includes('mallory' as any), 10_000, 'mallory to be dropped')
    expect(await raw.ended).to.not.equal('open')
    await stillSyncs()
  })

  it('drops an outgoing message larger than maxMessageSize and sends the next one', async () => {
    const target = await createSyncPeer('target', { repo: false, maxMessageSize: 64 * 1024 })
    peers.push(target)
    target.adapter.connect('target' as any)
    const mallory = await rawPeer('mallory')
    await mallory.acceptDialBack()

    await mallory.join(target.node.getMultiaddrs()[0])
    await waitFor(() => target.adapter.peers.includes('mallory' as any), 10_000, 'mallory to be up')

    target.adapter.send({ type: 'foo', senderId: 'target' as any, targetId: 'mallory' as any, data: new Uint8Array(65 * 1024).fill(1) })
    target.adapter.send({ type: 'foo', senderId: 'target' as any, targetId: 'mallory' as any, data: new Uint8Array([2]) })

    await waitFor(() => mallory.received.length > 0, 10_000, 'the small message')
    await new Promise(resolve => setTimeout(resolve, 100))
    expect(mallory.received.map(msg => msg.data.byteLength)).to.deep.equal([1])
  })

  it('a send to an unknown peer is dropped without throwing', async () => {
    const target = await createSyncPeer('target', { repo: false })
    peers.push(target)
    target.adapter.connect('target' as any)

    expect(() => {
      target.adapter.send({ type: 'foo', senderId: 'target' as any, targetId: 'nobody' as any, data: new Uint8Array([1]) })
    }).to.not.throw()
  })

  it('keeps messages to one peer in order under backpressure', async function () {
    this.timeout(60_000)
    const target = await createSyncPeer('target', { repo: false })
    peers.push(target)
    target.adapter.connect('target' as any)
    const mallory = await rawPeer('mallory')
    await mallory.acceptDialBack()

    await mallory.join(target.node.getMultiaddrs()[0])
    await waitFor(() => target.adapter.peers.includes('mallory' as any), 10_000, 'mallory to be up')

    // 32 MiB in 64 KiB messages: far beyond the muxer's window, so send() reports backpressure
    const count = 512
    for (let i = 0; i < count; i++) {
      const data = new Uint8Array(64 * 1024)
      new DataView(data.buffer).setUint32(0, i)
      target.adapter.send({ type: 'foo', senderId: 'target' as any, targetId: 'mallory' as any, data })
    }

    await waitFor(() => mallory.received.length === count, 50_000, 'all messages')
    const order = mallory.received.map(msg => new DataView(msg.data.buffer, msg.data.byteOffset).getUint32(0))
    expect(order).to.deep.equal([...Array(count).keys()])
  })
})
