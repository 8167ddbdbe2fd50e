/**
 * Federation and fail-over: a bootstrap peer that is down when a peer starts (or goes down for
 * longer than libp2p's 5 reconnect tries) is connected when it comes up; a client given three
 * meshed servers keeps a document syncing when one of them is SIGKILLed (servers in child
 * processes), and reconnects to the third.
 */
import { createServer } from 'node:net'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { expect } from 'aegir/chai'
import { loopbackPeer, sleep, waitFor } from '../harness/peers.ts'
import { ChildPeer } from '../harness/soak/child-peer.ts'
import type { Docpeer, DocpeerInit } from '../src/index.ts'
import type { DocHandle } from '@automerge/automerge-repo'
import type { PrivateKey } from '@libp2p/interface'

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise(resolve => server.close(resolve))
  return port
}

async function until<T> (handle: DocHandle<T>, predicate: (doc: T) => boolean, timeout = 30_000): Promise<void> {
  await waitFor(() => {
    const doc = handle.doc()
    return doc != null && predicate(doc)
  }, timeout, 'the change to arrive')
}

describe('federation: bootstrap peers kept, fail-over between servers', function () {
  this.timeout(120_000)
  const peers: Docpeer[] = []
  const children: ChildPeer[] = []

  async function start (init: DocpeerInit): Promise<Docpeer> {
    const peer = await loopbackPeer(init)
    peers.push(peer)
    return peer
  }

  afterEach(async () => {
    await Promise.all(peers.splice(0).map(async peer => { await peer.stop() }))
    await Promise.all(children.splice(0).map(async child => { await child.stop() }))
  })

  it('connects a bootstrap peer that was down at start, and again after an outage of many redials', async () => {
    const port = await freePort()
    const key: PrivateKey = await generateKeyPair('Ed25519')
    const serverId = peerIdFromPrivateKey(key)
    const address = `/ip4/127.0.0.1/tcp/${port}/p2p/${serverId.toString()}`
    const startServer = async (): Promise<Docpeer> => loopbackPeer({ role: 'server', privateKey: key, listen: [`/ip4/127.0.0.1/tcp/${port}`] })

    // redials every 100-400 ms: 2 s of outage is well over libp2p's 5 reconnect tries
    const client = await start({ bootstrap: [address], bootstrapRetry: { minDelay: 100, maxDelay: 400 } })
    await sleep(2_000)
    expect(client.libp2p.getConnections(serverId)).to.be.empty()

    let server = await startServer()
    await waitFor(() => client.libp2p.getConnections(serverId).length > 0, 20_000, 'the late bootstrap peer')

    await server.stop()
    await waitFor(() => client.libp2p.getConnections(serverId).length === 0, 10_000, 'the outage')
    await sleep(2_000)

    server = await startServer()
    peers.push(server)
    await waitFor(() => client.libp2p.getConnections(serverId).length > 0, 20_000, 'the bootstrap peer after its outage')
  })

  it('keeps a document syncing when one of three servers is SIGKILLed, and reconnects to another', async () => {
    const s1 = await ChildPeer.start({ role: 'server' })
    children.push(s1)
    const s2 = await ChildPeer.start({ role: 'server', bootstrap: [s1.addrs[0]] })
    children.push(s2)
    const s3 = await ChildPeer.start({ role: 'server', bootstrap: [s1.addrs[0], s2.addrs[0]] })
    children.push(s3)
    const servers = [s1, s2, s3]
    const list = servers.map(server => server.addrs[0])
    const serverIds = new Set(servers.map(server => server.peerId))
    const serverConnections = (peer: Docpeer): string[] => [...new Set(peer.libp2p.getConnections().map(c => c.remotePeer.toString()).filter(id => serverIds.has(id)))]

    // each client keeps 2 of the 3 servers (the default)
    const alice = await start({ bootstrap: list, bootstrapRetry: { minDelay: 200, maxDelay: 1_000 } })
    const bob = await start({ bootstrap: list, bootstrapRetry: { minDelay: 200, maxDelay: 1_000 } })
    await waitFor(() => serverConnections(alice).length >= 2 && serverConnections(bob).length >= 2, 30_000, 'two servers each')

    const handle = alice.repo!.create<{ log: string[] }>({ log: ['before'] })
    const bobs = await bob.repo!.find<{ log: string[] }>(handle.url, { signal: AbortSignal.timeout(30_000) })
    expect(bobs.doc().log).to.deep.equal(['before'])

    // a server both use (two of three each: there always is one)
    const shared = servers.find(server => serverConnections(alice).includes(server.peerId) && serverConnections(bob).includes(server.peerId))!
    shared.kill('SIGKILL')
    await shared.exited

    handle.change(doc => { doc.log.push('after the kill') })
    await until(bobs, doc => doc.log.includes('after the kill'))

    // both are back at two servers: the third one was dialed
    await waitFor(() => serverConnections(alice).length >= 2 && serverConnections(bob).length >= 2, 30_000, 'two live servers each')
    expect(serverConnections(alice)).to.not.include(shared.peerId)

    bobs.change(doc => { doc.log.push('from bob') })
    await until(handle, doc => doc.log.includes('from bob'))
  })
})
