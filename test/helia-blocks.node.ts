/**
 * helia on docpeer nodes: blocks put on one peer are fetched by another over bitswap after a dial
 * by multiaddr, over TCP and WebSockets, and blocks in a data directory survive a restart.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'aegir/chai'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { createPeer } from '../src/index.ts'
import type { Docpeer, DocpeerInit } from '../src/index.ts'

const LOOPBACK = { host: '127.0.0.1', mdns: false } as const

async function rawBlock (text: string): Promise<{ cid: CID, bytes: Uint8Array }> {
  const bytes = new TextEncoder().encode(text)
  return { cid: CID.createV1(raw.code, await sha256.digest(bytes)), bytes }
}

async function getBlock (peer: Docpeer, cid: CID, timeout = 10_000): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []

  for await (const chunk of peer.helia!.blockstore.get(cid, { signal: AbortSignal.timeout(timeout) })) {
    chunks.push(chunk)
  }

  return Buffer.concat(chunks)
}

function addressOf (peer: Docpeer, transport: 'tcp' | 'ws'): string {
  const ma = peer.libp2p.getMultiaddrs()
    .map(ma => ma.toString())
    .find(ma => transport === 'ws' ? ma.includes('/ws/') : !ma.includes('/ws'))

  if (ma == null) {
    throw new Error(`${peer.peerId.toString()} has no ${transport} address`)
  }

  return ma
}

describe('helia on a docpeer node', function () {
  this.timeout(60_000)

  const peers: Docpeer[] = []
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'docpeer-helia-'))
  })

  afterEach(async () => {
    await Promise.all(peers.splice(0).map(async peer => peer.stop()))
    await rm(dir, { recursive: true, force: true })
  })

  async function start (init: DocpeerInit = {}): Promise<Docpeer> {
    const peer = await createPeer({ ...LOOPBACK, helia: true, ...init })
    peers.push(peer)
    return peer
  }

  it('runs helia on the peer\'s own libp2p node', async () => {
    const peer = await start()

    expect(peer.helia).to.exist()
    expect(peer.helia?.libp2p).to.equal(peer.libp2p)
    expect(peer.libp2p.getProtocols()).to.include('/ipfs/bitswap/1.2.0')
    // docpeer's services are still there: OrbitDB needs pubsub and identify
    expect(peer.libp2p.services.pubsub).to.exist()
    expect(peer.libp2p.services.identify).to.exist()
  })

  it('has no helia unless asked for', async () => {
    const peer = await createPeer({ ...LOOPBACK })
    peers.push(peer)

    expect(peer.helia).to.be.undefined()
    expect(peer.libp2p.getProtocols()).to.not.include('/ipfs/bitswap/1.2.0')
  })

  it('fetches a block put on one daemon from another over TCP', async () => {
    const a = await start({ dataDir: join(dir, 'a') })
    const b = await start({ dataDir: join(dir, 'b') })
    const { cid, bytes } = await rawBlock(`over tcp ${Math.random()}`)
    await a.helia!.blockstore.put(cid, bytes)

    expect(await b.helia!.blockstore.has(cid)).to.be.false()
    const connection = await b.dial(addressOf(a, 'tcp'))
    expect(connection.remoteAddr.toString()).to.not.include('/ws')

    expect(await getBlock(b, cid)).to.deep.equal(bytes)
    // the fetched block is kept: b can now serve it
    expect(await b.helia!.blockstore.has(cid)).to.be.true()
  })

  it('exchanges blocks between a daemon and a server-role peer over WebSockets', async () => {
    const server = await start({ role: 'server', dataDir: join(dir, 'server') })
    const daemon = await start({ dataDir: join(dir, 'daemon') })
    const fromServer = await rawBlock(`from the server ${Math.random()}`)
    const fromDaemon = await rawBlock(`from the daemon ${Math.random()}`)
    await server.helia!.blockstore.put(fromServer.cid, fromServer.bytes)
    await daemon.helia!.blockstore.put(fromDaemon.cid, fromDaemon.bytes)

    const connection = await daemon.dial(addressOf(server, 'ws'))
    expect(connection.remoteAddr.toString()).to.include('/ws')

    expect(await getBlock(daemon, fromServer.cid)).to.deep.equal(fromServer.bytes)
    // the other way, over the same connection
    expect(await getBlock(server, fromDaemon.cid)).to.deep.equal(fromDaemon.bytes)
    expect(server.libp2p.getConnections(daemon.peerId)).to.have.lengthOf(1)
  })

  it('keeps blocks in the data directory across a restart', async () => {
    const dataDir = join(dir, 'persistent')
    const { cid, bytes } = await rawBlock(`kept ${Math.random()}`)

    const first = await start({ dataDir })
    const peerId = first.peerId.toString()
    await first.helia!.blockstore.put(cid, bytes)
    await first.stop()

    // no listener and no other peer: the block can only come from disk
    const second = await start({ dataDir, listen: [] })
    expect(second.peerId.toString()).to.equal(peerId)
    expect(await second.helia!.blockstore.has(cid)).to.be.true()
    expect(await getBlock(second, cid)).to.deep.equal(bytes)
    await second.stop()

    // and the restarted peer serves it
    const third = await start({ dataDir })
    const reader = await start()
    await reader.dial(addressOf(third, 'tcp'))
    expect(await getBlock(reader, cid)).to.deep.equal(bytes)
  })

  it('keeps blocks in memory without a data directory', async () => {
    const { cid, bytes } = await rawBlock(`in memory ${Math.random()}`)
    const first = await start()
    await first.helia!.blockstore.put(cid, bytes)
    await first.stop()

    const second = await start({ listen: [] })
    expect(await second.helia!.blockstore.has(cid)).to.be.false()
  })

  it('gives up on a block no connected peer has when the signal aborts', async () => {
    const a = await start()
    const b = await start()
    await b.dial(addressOf(a, 'tcp'))
    const { cid } = await rawBlock(`nobody has this ${Math.random()}`)

    const started = Date.now()
    const err = await getBlock(b, cid, 1000).then(() => undefined, (err: any) => err)
    const elapsed = Date.now() - started

    expect(err).to.have.property('name', 'LoadBlockFailedError')
    expect(err.errors?.map((cause: Error) => cause.name)).to.include('AbortError')
    // it waited for the peer (bitswap want) until the signal, no longer
    expect(elapsed).to.be.within(900, 10_000)
  })
})
