import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'aegir/chai'
import { LevelDatastore } from 'datastore-level'
import { Key } from 'interface-datastore'
import { createPeer } from '../src/index.ts'
import { runCli } from './fixtures/cli.ts'
import { makeSelfSignedCert } from './fixtures/tls.ts'
import type { Docpeer } from '../src/index.ts'

const LOOPBACK = { host: '127.0.0.1', mdns: false } as const

describe('createPeer', () => {
  const peers: Docpeer[] = []
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'docpeer-peer-'))
  })

  afterEach(async () => {
    await Promise.all(peers.splice(0).map(async peer => peer.stop()))
    await rm(dir, { recursive: true, force: true })
  })

  async function start (init: Parameters<typeof createPeer>[0] = {}): Promise<Docpeer> {
    const peer = await createPeer({ ...LOOPBACK, ...init })
    peers.push(peer)
    return peer
  }

  it('connects two daemons over TCP by multiaddr and pings both ways', async () => {
    const a = await start()
    const b = await start()
    const tcpAddr = b.libp2p.getMultiaddrs().find(ma => ma.toString().includes('/tcp/') && !ma.toString().includes('/ws'))
    expect(tcpAddr, 'b listens on TCP').to.exist()

    const connection = await a.dial(tcpAddr!.toString())
    expect(connection.remotePeer.equals(b.peerId)).to.be.true()
    expect(connection.remoteAddr.toString()).to.include('/tcp/')

    const rttAtoB = await a.libp2p.services.ping.ping(b.peerId)
    const rttBtoA = await b.libp2p.services.ping.ping(a.peerId)
    expect(rttAtoB).to.be.a('number').and.to.be.at.least(0)
    expect(rttBtoA).to.be.a('number').and.to.be.at.least(0)
    expect(b.libp2p.getConnections(a.peerId)).to.have.lengthOf.at.least(1)
  })

  it('gives a server that accepts WebSocket connections from a daemon', async () => {
    const server = await start({ role: 'server' })
    const client = await start()
    const wsAddr = server.libp2p.getMultiaddrs().find(ma => ma.toString().includes('/ws/'))
    expect(wsAddr, 'server listens on WS').to.exist()

    const connection = await client.dial(wsAddr!)
    expect(connection.remoteAddr.toString()).to.include('/ws')
    expect(await client.libp2p.services.ping.ping(server.peerId)).to.be.at.least(0)
    expect(server.libp2p.services).to.have.property('relay')
  })

  it('gives a server a WSS listener with a certificate, reachable by a Node client that trusts it', async () => {
    const { cert, key } = makeSelfSignedCert(dir)
    const server = await start({ role: 'server', tls: { cert, key } })
    const wssAddr = server.libp2p.getMultiaddrs().find(ma => ma.toString().includes('/tls/ws'))
    expect(wssAddr, 'server listens on WSS').to.exist()

    // Node's WebSocket checks certificates against its CA store; NODE_EXTRA_CA_CERTS is how a Node
    // client trusts a self-signed certificate, and it is read at process start: use a child process
    const result = await runCli(['dial', wssAddr!.toString(), '--json'], { NODE_EXTRA_CA_CERTS: cert })
    expect(result.code, result.stderr).to.equal(0)
    const printed = JSON.parse(result.stdout)
    expect(printed.peerId).to.equal(server.peerId.toString())
    expect(printed.remoteAddr).to.include('/tls/ws')

    // and one that does not trust it is refused
    const untrusted = await runCli(['dial', wssAddr!.toString(), '--timeout', '5'])
    expect(untrusted.code).to.equal(1)
  })

  it('reads the certificate and key from PEM strings as well as files', async () => {
    const { cert, key } = makeSelfSignedCert(dir)
    const { readFile } = await import('node:fs/promises')
    const server = await start({ role: 'server', tls: { cert: await readFile(cert, 'utf8'), key: await readFile(key, 'utf8') } })
    expect(server.libp2p.getMultiaddrs().some(ma => ma.toString().includes('/tls/ws'))).to.be.true()
  })

  it('refuses a certificate file that is not PEM, naming the file', async () => {
    const bogus = join(dir, 'bogus.pem')
    await writeFile(bogus, 'not a certificate')
    await expect(createPeer({ ...LOOPBACK, role: 'server', tls: { cert: bogus, key: bogus } }))
      .to.eventually.be.rejected.with.property('message').that.include(bogus)
  })

  it('keeps its peer id across restarts on the same data directory', async () => {
    const first = await createPeer({ ...LOOPBACK, dataDir: dir })
    const id = first.peerId.toString()
    await first.stop()

    const second = await start({ dataDir: dir })
    expect(second.peerId.toString()).to.equal(id)
  })

  it('refuses a corrupt key store with an error naming its path, and leaves it as it is', async () => {
    const first = await createPeer({ ...LOOPBACK, dataDir: dir })
    await first.stop()

    const datastore = new LevelDatastore(join(dir, 'datastore'))
    await datastore.open()
    const garbage = Uint8Array.from([1, 2, 3, 4, 5])
    await datastore.put(new Key('/pkcs8/self'), garbage)
    await datastore.close()

    const err = await createPeer({ ...LOOPBACK, dataDir: dir }).then(() => undefined, (err: Error) => err)
    expect(err).to.have.property('name', 'KeyStoreError')
    expect(err?.message).to.include(join(dir, 'datastore'))

    const after = new LevelDatastore(join(dir, 'datastore'))
    await after.open()
    expect(await after.get(new Key('/pkcs8/self'))).to.deep.equal(garbage)
    await after.close()
  })

  it('refuses a data directory that is a file', async () => {
    const file = join(dir, 'file')
    await writeFile(file, 'x')
    const err = await createPeer({ ...LOOPBACK, dataDir: file }).then(() => undefined, (err: Error) => err)
    expect(err).to.have.property('name', 'DataDirError')
    expect(err?.message).to.include(file)
  })

  it('refuses a data directory in use by another peer', async () => {
    await start({ dataDir: dir })
    const err = await createPeer({ ...LOOPBACK, dataDir: dir }).then(() => undefined, (err: Error) => err)
    expect(err).to.have.property('name', 'DataDirError')
    expect(err?.message).to.include('another docpeer process')
  })

  it('throws InvalidMultiaddrError for a malformed multiaddr without dialing', async () => {
    const peer = await start()
    await expect(peer.dial('not-a-multiaddr')).to.eventually.be.rejected.with.property('name', 'InvalidMultiaddrError')
    await expect(peer.dial('/ip4/999.1.1.1/tcp/1')).to.eventually.be.rejected.with.property('name', 'InvalidMultiaddrError')
  })

  it('stops twice without error', async () => {
    const peer = await createPeer(LOOPBACK)
    await Promise.all([peer.stop(), peer.stop()])
    expect(peer.libp2p.status).to.equal('stopped')
  })
})
