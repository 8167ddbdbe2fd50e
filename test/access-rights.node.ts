/**
 * Who may read and write a document, through real libp2p connections: a restricted server with a
 * writer, a reader and a stranger (docpeer daemons with their own Repos), and hostile bare nodes
 * that send hand-made sync frames.
 */
import { expect } from 'aegir/chai'
import { accessNetwork, hostileSession, marksIn, syncMessageWithChange } from '../harness/access.ts'
import { sleep, waitFor } from '../harness/peers.ts'
import type { AccessDoc, AccessNetwork } from '../harness/access.ts'

describe('access: who may read and write a document', function () {
  this.timeout(60_000)
  let net: AccessNetwork

  beforeEach(async () => {
    net = await accessNetwork()
  })

  afterEach(async () => {
    await net.stop()
  })

  it('a stranger can neither fetch a restricted document nor make the server hold a handle for it', async () => {
    const handlesBefore = Object.keys(net.server.repo!.handles).length
    const refusedBefore = net.server.access.stats().refusedReads

    const found = await net.stranger.repo!.find(net.handle.url).then(() => 'found', (err: Error) => err.message)
    expect(found).to.match(/unavailable/)
    expect(net.server.access.stats().refusedReads).to.be.greaterThan(refusedBefore)
    expect(Object.keys(net.server.repo!.handles).length).to.equal(handlesBefore)
  })

  it('a reader receives changes, and its own changes are refused and reach nobody', async () => {
    const readerHandle = await net.reader.repo!.find<AccessDoc>(net.handle.url)
    const writerHandle = await net.writer.repo!.find<AccessDoc>(net.handle.url)

    writerHandle.change(d => { d.text = 'from the writer' })
    await waitFor(() => readerHandle.doc().text === 'from the writer', 20_000, 'the reader to receive the writer\'s change')

    readerHandle.change(d => { d['mark-reader'] = true })
    await waitFor(() => net.server.access.stats().refusedWrites > 0, 20_000, 'the server to refuse the reader\'s change')

    // a change from the writer after it proves the server's pipeline moved on
    writerHandle.change(d => { d.text = 'later' })
    await waitFor(() => net.handle.doc().text === 'later', 20_000, 'the server to receive the writer\'s next change')
    await waitFor(() => readerHandle.doc().text === 'later', 20_000, 'the reader to receive it too')
    expect(marksIn(net.handle.doc(), 'mark-')).to.deep.equal([])
    expect(marksIn(writerHandle.doc(), 'mark-')).to.deep.equal([])
  })

  it('a revoked member stops receiving at once, while the others still do', async () => {
    const readerHandle = await net.reader.repo!.find<AccessDoc>(net.handle.url)
    const writerHandle = await net.writer.repo!.find<AccessDoc>(net.handle.url)

    await net.server.access.unshare(net.handle.url, net.reader.peerId)
    expect(net.server.access.rightOf(net.reader.peerId, net.handle.url)).to.equal('none')

    writerHandle.change(d => { d.text = 'after the revocation' })
    await waitFor(() => net.handle.doc().text === 'after the revocation', 20_000, 'the server to receive the change')
    // the server sends to every member at once: give it time it would have needed for the reader
    await sleep(500)
    expect(readerHandle.doc().text).to.equal('hello')
  })

  it('refuses hand-made writes from a stranger, a reader, and a member spoofing the writer', async () => {
    const documentId = net.handle.documentId
    const target = net.server.peerId.toString()
    const stranger = await hostileSession(net.server)
    const data = syncMessageWithChange(net.handle.doc(), 'mark-stranger')

    try {
      stranger.send({ type: 'sync', senderId: stranger.node.peerId.toString(), targetId: target, documentId, data })
      stranger.send({ type: 'request', senderId: stranger.node.peerId.toString(), targetId: target, documentId, data })
      await waitFor(() => net.server.access.stats().refusedReads >= 2, 10_000, 'the stranger\'s frames to be refused')

      // a read-only member: the server gives the hostile node read right
      await net.server.access.share(net.handle.url, stranger.node.peerId, 'read')
      stranger.send({ type: 'sync', senderId: stranger.node.peerId.toString(), targetId: target, documentId, data: syncMessageWithChange(net.handle.doc(), 'mark-reader') })
      await waitFor(() => net.server.access.stats().refusedWrites >= 1, 10_000, 'the reader\'s frame to be refused')

      // the same member claiming the writer's id: the sync adapter resets the stream
      stranger.send({ type: 'sync', senderId: net.writer.peerId.toString(), targetId: target, documentId, data: syncMessageWithChange(net.handle.doc(), 'mark-spoof') })
      await waitFor(() => stranger.ended(), 10_000, 'the server to reset the spoofing stream')
    } finally {
      await stranger.stop()
    }

    // the writer's honest change still goes through, and none of the marks did
    const writerHandle = await net.writer.repo!.find<AccessDoc>(net.handle.url)
    writerHandle.change(d => { d.text = 'honest' })
    await waitFor(() => net.handle.doc().text === 'honest', 20_000, 'the writer\'s change')
    expect(marksIn(net.handle.doc(), 'mark-')).to.deep.equal([])
  })

  it('reports a document\'s list', async () => {
    expect(net.server.access.get(net.handle.url)).to.deep.include({ restricted: true, public: 'none' })
    expect(net.server.access.get(net.handle.url).members).to.have.deep.members([
      { peerId: net.writer.peerId.toString(), right: 'write' },
      { peerId: net.reader.peerId.toString(), right: 'read' }
    ])
  })
})
