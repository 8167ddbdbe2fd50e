/**
 * Finding by id over docpeer's DHT: three meshed servers (DHT server mode) and daemons (client
 * mode) that know only their own server. A daemon dials another by peer id alone (the lookup is
 * tried again while its routing table fills), and finds a document no connected peer has by its
 * provider record.
 */
import { Repo } from '@automerge/automerge-repo'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { expect } from 'aegir/chai'
import { lastStep, loopbackPeer, waitFor } from '../harness/peers.ts'
import { automergeWebSocketBridge } from '../src/bridge/index.ts'
import { documentKey } from '../src/node/providers.ts'
import { runCli } from './fixtures/cli.ts'
import type { Docpeer, DocpeerInit } from '../src/index.ts'
import type { AutomergeUrl } from '@automerge/automerge-repo'
import type { PeerId } from '@libp2p/interface'

function addressOf (peer: Docpeer): string {
  return peer.libp2p.getMultiaddrs()[0].toString()
}

/**
 * Resolves once a lookup from `seeker` finds `provider` among the providers of `documentId`.
 */
async function waitForProvider (seeker: Docpeer, documentId: string, provider: PeerId): Promise<void> {
  const key = await documentKey(documentId)
  await waitFor(async () => {
    for await (const found of seeker.libp2p.contentRouting.findProviders(key, { signal: AbortSignal.timeout(5_000) })) {
      if (found.id.equals(provider)) {
        return true
      }
    }
    return false
  }, 30_000, 'the provider record', 200)
}

describe('federation: peers and documents found by id (DHT)', function () {
  this.timeout(120_000)
  const peers: Docpeer[] = []
  let servers: Docpeer[] = []

  async function start (init: DocpeerInit): Promise<Docpeer> {
    const peer = await loopbackPeer(init)
    peers.push(peer)
    return peer
  }

  beforeEach(async () => {
    const s1 = await start({ role: 'server' })
    const s2 = await start({ role: 'server', bootstrap: [addressOf(s1)] })
    const s3 = await start({ role: 'server', bootstrap: [addressOf(s1), addressOf(s2)] })
    servers = [s1, s2, s3]
    await waitFor(() => servers.every(server => server.libp2p.getConnections().length >= 2), 20_000, 'the server mesh')
  })

  afterEach(async () => {
    await Promise.all(peers.splice(0).map(async peer => { await peer.stop() }))
  })

  it('runs servers in DHT server mode and daemons in client mode, on docpeer\'s protocol', async () => {
    const daemon = await start({ bootstrap: [addressOf(servers[0])] })
    expect((servers[0].libp2p.services.dht as any).getMode()).to.equal('server')
    expect((daemon.libp2p.services.dht as any).getMode()).to.equal('client')
    expect(servers[0].libp2p.getProtocols()).to.include('/docpeer/kad/1.0.0')
    expect(daemon.libp2p.getProtocols()).to.not.include('/docpeer/kad/1.0.0')
  })

  it('dials a peer by its peer id alone', async () => {
    const alice = await start({ bootstrap: [addressOf(servers[0])], bootstrapConnections: 1 })
    const bob = await start({ bootstrap: [addressOf(servers[2])], bootstrapConnections: 1 })
    await waitFor(() => alice.libp2p.getConnections(servers[0].peerId).length > 0 && bob.libp2p.getConnections(servers[2].peerId).length > 0, 20_000, 'the daemons on their servers')

    // whatever bob may have heard of alice (a DHT answer can name her), he forgets: the dial has to
    // find her addresses itself
    expect(bob.libp2p.getConnections(alice.peerId)).to.be.empty()
    await bob.libp2p.peerStore.delete(alice.peerId)

    const connection = await bob.dial(alice.peerId.toString(), { signal: AbortSignal.timeout(20_000) })
    expect(connection.remotePeer.equals(alice.peerId)).to.equal(true)
  })

  it('dialing a peer id nobody knows fails after a few lookups, with an error that says so', async () => {
    const daemon = await start({ bootstrap: [addressOf(servers[0])], bootstrapConnections: 1 })
    await waitFor(() => daemon.libp2p.getConnections(servers[0].peerId).length > 0, 20_000, 'the daemon on its server')
    const nobody = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))

    const started = Date.now()
    const err = await daemon.dial(nobody.toString(), { signal: AbortSignal.timeout(20_000) }).then(() => undefined, (err: Error) => err)
    expect(err?.name).to.equal('NoValidAddressesError')
    expect(err?.message).to.include(nobody.toString()).and.to.include('DHT lookups')
    // the lookups were tried again (about 3 s of waits), and gave up well before the caller's timeout
    expect(Date.now() - started).to.be.within(2_500, 15_000)
  })

  it('docpeer dial <peer id> --bootstrap MA finds the peer through the DHT (CLI, built dist/)', async () => {
    const alice = await start({ bootstrap: [addressOf(servers[0])], bootstrapConnections: 1 })
    await waitFor(() => alice.libp2p.getConnections(servers[0].peerId).length > 0, 20_000, 'alice on her server')

    const dial = await runCli(['dial', alice.peerId.toString(), '--bootstrap', addressOf(servers[2]), '--json'])
    expect(dial.code, dial.stderr).to.equal(0)
    expect(JSON.parse(dial.stdout).peerId).to.equal(alice.peerId.toString())

    const usage = await runCli(['dial', alice.peerId.toString()])
    expect(usage.code).to.equal(2)
    expect(usage.stderr).to.include('--bootstrap')
  })

  /**
   * Alice holds a document that only her provider record tells of; bob, on another server, is not
   * connected to her once it is there.
   */
  async function onlyProvided (bobInit: DocpeerInit = {}): Promise<{ alice: Docpeer, bob: Docpeer, url: AutomergeUrl }> {
    // alice offers her documents to nobody unasked: only her provider record says she has it
    const alice = await start({ repo: { storage: 'memory', sharePolicy: async () => false } })
    await alice.dial(addressOf(servers[0]))
    const handle = alice.repo!.create({ title: 'found by its provider record' })

    const bob = await start({ bootstrap: [addressOf(servers[2])], bootstrapConnections: 1, ...bobInit })
    await waitForProvider(bob, handle.documentId, alice.peerId)

    // alice leaves the servers (she keeps listening): no peer bob is connected to has the document
    await Promise.all(alice.libp2p.getConnections().map(async connection => { await connection.close() }))
    await waitFor(() => bob.libp2p.getConnections(alice.peerId).length === 0, 10_000, 'bob not connected to alice')
    return { alice, bob, url: handle.url }
  }

  it('finds a document no connected peer has by its provider record, and syncs it', async () => {
    const { alice, bob, url } = await onlyProvided()
    const found = await bob.repo!.find<{ title: string }>(url, { signal: AbortSignal.timeout(30_000) })
    expect(found.doc().title).to.equal('found by its provider record')
    expect(bob.libp2p.getConnections(alice.peerId)).to.not.be.empty()
  })

  it('findWithProgress() finds it by its provider record too, and ends `ready`', async () => {
    const { alice, bob, url } = await onlyProvided()
    const progress = bob.repo!.findWithProgress<{ title: string }>(url, { signal: AbortSignal.timeout(30_000) })
    expect((await lastStep(progress)).state).to.equal('ready')
    expect(progress.handle.doc()?.title).to.equal('found by its provider record')
    expect(bob.libp2p.getConnections(alice.peerId)).to.not.be.empty()
  })

  it('a bridge client of a daemon finds it by its provider record, as the daemon would', async () => {
    const bridge = await automergeWebSocketBridge({ port: 0, host: '127.0.0.1' })

    try {
      const { alice, bob, url } = await onlyProvided({ repo: { storage: 'memory', network: [bridge.adapter] } })
      // an app using automerge's own WebSocket client, through bob's daemon
      const wsRepo = new Repo({ network: [new WebSocketClientAdapter(bridge.url)] })

      try {
        await waitFor(() => wsRepo.peers.length > 0, 20_000, 'the client to join bob')
        const found = await wsRepo.find<{ title: string }>(url, { signal: AbortSignal.timeout(30_000) })
        expect(found.doc().title).to.equal('found by its provider record')
        expect(bob.libp2p.getConnections(alice.peerId)).to.not.be.empty()
      } finally {
        await wsRepo.shutdown()
      }
    } finally {
      await Promise.all(peers.splice(0).map(async peer => { await peer.stop() }))
      await bridge.close()
    }
  })

  it('servers forward document requests across the mesh (no DHT involved)', async () => {
    // neither dials the other when discovery announces it: the document has to come through the servers
    const alice = await start({ bootstrap: [addressOf(servers[0])], bootstrapConnections: 1, dht: false, dialDiscovered: false })
    const bob = await start({ bootstrap: [addressOf(servers[2])], bootstrapConnections: 1, dht: false, dialDiscovered: false })
    await waitFor(() => alice.syncAdapter!.peers.length > 0 && bob.syncAdapter!.peers.length > 0, 20_000, 'the daemons on their servers')

    const handle = alice.repo!.create({ title: 'forwarded' })
    const found = await bob.repo!.find<{ title: string }>(handle.url, { signal: AbortSignal.timeout(20_000) })
    expect(found.doc().title).to.equal('forwarded')
    // bob reached it through his server only
    expect(bob.libp2p.getConnections().map(c => c.remotePeer.toString())).to.deep.equal([servers[2].peerId.toString()])
  })

  it('announces under a key that is not the document id', async () => {
    const key = await documentKey('3Qh8Lk9mAfvXUqeQkZ1cRwGrP7ye')
    expect(key.toString()).to.not.include('3Qh8Lk9mAfvXUqeQkZ1cRwGrP7ye')
    expect(key.equals(await documentKey('3Qh8Lk9mAfvXUqeQkZ1cRwGrP7ye'))).to.equal(true)
    expect(key.equals(await documentKey('3Qh8Lk9mAfvXUqeQkZ1cRwGrP7yf'))).to.equal(false)
  })
})
