/**
 * Documents in common: two peers that opened one document through their server keep syncing it
 * over their own connection when the server goes, and a connected peer that does not hold the
 * document learns neither its id nor its content (real peers on loopback TCP).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { lpStream } from '@libp2p/utils'
import { expect } from 'aegir/chai'
import { Uint8ArrayList } from 'uint8arraylist'
import { loopbackPeer, sleep, waitFor } from '../harness/peers.ts'
import { COMMON_DOCUMENTS_PROTOCOL, MAX_KEYS } from '../src/node/common-documents.ts'
import { documentKey } from '../src/node/providers.ts'
import type { Docpeer } from '../src/index.ts'

interface Note {
  text: string
  reply?: string
}

describe('documents in common with connected peers', function () {
  this.timeout(60_000)
  let peers: Docpeer[] = []

  afterEach(async () => {
    await Promise.all(peers.map(async peer => peer.stop()))
    peers = []
  })

  it('keeps a document syncing between two clients over their own connection after their server stops, and tells a stranger nothing', async () => {
    const server = await loopbackPeer({ role: 'server' })
    const [a, b, stranger] = await Promise.all([loopbackPeer(), loopbackPeer(), loopbackPeer()])
    peers = [server, a, b, stranger]
    const address = server.libp2p.getMultiaddrs()[0]
    await a.syncWith(address)
    await b.syncWith(address)
    // connected as discovery connects peers: not chosen by anyone
    await a.libp2p.dial(b.libp2p.getMultiaddrs()[0])
    await stranger.libp2p.dial(a.libp2p.getMultiaddrs()[0])
    await stranger.libp2p.dial(b.libp2p.getMultiaddrs()[0])
    await waitFor(() => [b, stranger].every(p => a.repo!.peers.includes(p.peerId.toString() as any)), 20_000, 'a to sync with b and the stranger')

    const handle = a.repo!.create<Note>({ text: 'from a' })
    // opened at once: b's request often reaches the server before a's copy does, and b's lookup then
    // asks a and the stranger by key (lookup-order.ts); the stranger must not end up with it
    const atB = await b.repo!.find<Note>(handle.url)
    expect(atB.doc().text).to.equal('from a')

    await server.stop()
    peers = [a, b, stranger]

    atB.change(doc => { doc.text = 'from b, server gone' })
    await waitFor(() => handle.doc().text === 'from b, server gone', 20_000, 'a to see b\'s change over their own connection')
    handle.change(doc => { doc.reply = 'from a, server gone' })
    await waitFor(() => atB.doc().reply === 'from a, server gone', 20_000, 'b to see a\'s change')

    // the stranger was asked about the document by key: it has no handle for it, not even an id
    await sleep(500)
    expect(stranger.repo!.handles[handle.documentId], 'the stranger learned the document').to.equal(undefined)
  })

  it('opened after the server is gone, a document held on both sides syncs between them', async () => {
    const server = await loopbackPeer({ role: 'server' })
    const [a, b] = await Promise.all([loopbackPeer(), loopbackPeer()])
    peers = [server, a, b]
    const address = server.libp2p.getMultiaddrs()[0]
    await a.syncWith(address)
    await b.syncWith(address)
    const first = a.repo!.create<Note>({ text: 'first' })
    const second = a.repo!.create<Note>({ text: 'second' })
    await waitFor(() => [first, second].every(h => server.repo!.handles[h.documentId]?.isReady() === true), 20_000, 'the server to hold both')
    const firstAtB = await b.repo!.find<Note>(first.url)
    await server.stop()
    peers = [a, b]

    // connected only now, with no server: the one document b has open syncs at once
    await a.libp2p.dial(b.libp2p.getMultiaddrs()[0])
    first.change(doc => { doc.text = 'first, edited' })
    await waitFor(() => firstAtB.doc().text === 'first, edited', 20_000, 'b to see the first document\'s change')
    // the second is not open on b: b never heard of it
    expect(b.repo!.handles[second.documentId]).to.equal(undefined)
  })

  it('a lookup the server cannot answer asks the other connected peers by key: the holder sends it, the others learn nothing', async () => {
    const server = await loopbackPeer({ role: 'server' })
    // no DHT on the seeker: what its server has not got, it finds by asking its connected peers
    const [seeker, creator, stranger] = await Promise.all([loopbackPeer({ dht: false }), loopbackPeer(), loopbackPeer()])
    peers = [server, seeker, creator, stranger]
    await seeker.syncWith(server.libp2p.getMultiaddrs()[0])
    // connected as discovery connects peers: the creator has not sent its document to any server
    await creator.libp2p.dial(seeker.libp2p.getMultiaddrs()[0])
    await stranger.libp2p.dial(seeker.libp2p.getMultiaddrs()[0])
    await waitFor(() => [creator, stranger].every(p => seeker.repo!.peers.includes(p.peerId.toString() as any)), 20_000, 'the seeker to sync with both')

    const handle = creator.repo!.create<Note>({ text: 'not on any server' })
    const found = await seeker.repo!.find<Note>(handle.url)
    expect(found.doc().text).to.equal('not on any server')

    // the seeker keeps syncing it with the creator; the stranger was asked by key only
    found.change(doc => { doc.reply = 'seen' })
    await waitFor(() => handle.doc().reply === 'seen', 20_000, 'the creator to see the seeker\'s change')
    await sleep(500)
    expect(stranger.repo!.handles[handle.documentId], 'the stranger learned the document').to.equal(undefined)
  })

  it('answers for a document kept in storage, not open since the holder restarted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'docpeer-common-'))

    try {
      const first = await loopbackPeer({ dataDir: dir, repo: {} })
      peers = [first]
      const handle = first.repo!.create<Note>({ text: 'kept on disk' })
      await first.stop()

      const holder = await loopbackPeer({ dataDir: dir, repo: {} })
      const server = await loopbackPeer({ role: 'server' })
      const seeker = await loopbackPeer({ dht: false })
      peers = [holder, server, seeker]
      expect(holder.repo!.handles[handle.documentId], 'open on the restarted holder').to.equal(undefined)
      await seeker.syncWith(server.libp2p.getMultiaddrs()[0])
      await holder.libp2p.dial(seeker.libp2p.getMultiaddrs()[0])
      await waitFor(() => seeker.repo!.peers.includes(holder.peerId.toString() as any), 20_000, 'the seeker to sync with the holder')

      const found = await seeker.repo!.find<Note>(handle.url)
      expect(found.doc().text).to.equal('kept on disk')
    } finally {
      await Promise.all(peers.map(async peer => peer.stop()))
      peers = []
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('answers only what the asker sent and may read, refuses a malformed question, and keeps serving', async () => {
    const [a, probe] = await Promise.all([loopbackPeer({ access: 'restricted' }), loopbackPeer()])
    peers = [a, probe]
    const shared = a.repo!.create<Note>({ text: 'shared with the probe' })
    const secret = a.repo!.create<Note>({ text: 'members only' })
    await a.access.share(shared.url, probe.peerId)
    const connection = await probe.libp2p.dial(a.libp2p.getMultiaddrs()[0])

    const ask = async (question: Uint8Array): Promise<Uint8Array> => {
      const stream = await connection.newStream(COMMON_DOCUMENTS_PROTOCOL)
      const lp = lpStream(stream)
      await lp.write(question)
      const answer = (await lp.read()).subarray()
      await stream.close()
      return answer
    }
    const key = async (id: string): Promise<Uint8Array> => (await documentKey(id)).multihash.digest
    const sharedKey = await key(shared.documentId)
    const unknownKey = await key('not a document anyone holds')
    const answer = await ask(new Uint8ArrayList(await key(secret.documentId), unknownKey, sharedKey).subarray())
    expect([...answer], 'the answer is the readable document\'s key alone').to.deep.equal([...sharedKey])

    // not a whole number of keys: the stream is reset, the peer carries on
    await expect(ask(new Uint8Array(33))).to.eventually.be.rejected()
    // more keys than one question may hold
    await expect(ask(new Uint8Array((MAX_KEYS + 1) * 32))).to.eventually.be.rejected()
    expect([...await ask(sharedKey)]).to.deep.equal([...sharedKey])
  })
})
