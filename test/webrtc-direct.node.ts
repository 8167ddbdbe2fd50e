/**
 * The server role's WebRTC Direct listener: what browsers without a TLS certificate on the server
 * dial. Browsers are tested in test/browser; here, what a Node peer can check.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'aegir/chai'
import { createPeer } from '../src/index.ts'
import type { Docpeer } from '../src/index.ts'

function certhash (peer: Docpeer): string | undefined {
  const addr = peer.libp2p.getMultiaddrs().map(ma => ma.toString()).find(a => a.includes('/webrtc-direct/'))
  return addr?.match(/\/certhash\/([^/]+)/)?.[1]
}

describe('server: WebRTC Direct listener', function () {
  this.timeout(30_000)

  let dataDir: string

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'docpeer-webrtc-direct-'))
  })

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true })
  })

  it('listens on /udp/<port>/webrtc-direct with a certhash', async () => {
    const server = await createPeer({ role: 'server', host: '127.0.0.1', mdns: false, repo: false })

    try {
      const addr = server.libp2p.getMultiaddrs().map(ma => ma.toString()).find(a => a.includes('/webrtc-direct/'))
      expect(addr).to.match(/^\/ip4\/127\.0\.0\.1\/udp\/\d+\/webrtc-direct\/certhash\/u[\w-]+\/p2p\/12D3KooW/)
    } finally {
      await server.stop()
    }
  })

  it('keeps its certhash across a restart with the same data directory, so its address stays valid', async () => {
    const first = await createPeer({ role: 'server', host: '127.0.0.1', mdns: false, repo: false, dataDir })
    const hash = certhash(first)
    await first.stop()

    const second = await createPeer({ role: 'server', host: '127.0.0.1', mdns: false, repo: false, dataDir })
    const again = certhash(second)
    await second.stop()

    const elsewhere = await createPeer({ role: 'server', host: '127.0.0.1', mdns: false, repo: false })
    const other = certhash(elsewhere)
    await elsewhere.stop()

    expect(hash).to.be.a('string')
    expect(again).to.equal(hash)
    expect(other).to.not.equal(hash)
  })
})
