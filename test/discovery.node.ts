/**
 * Pubsub peer discovery on docpeer's topic: a peer announces its addresses through the server it is
 * connected to, and a peer with no address to dial announces nothing (each empty announcement
 * still cost the server a signature check and a forward to its mesh). Announcements back off while
 * nothing changes and come at once when a newcomer appears; an announcement counts only for the
 * peer that signed it. Peers dial a bounded number of the peers they discover (`dialDiscovered`),
 * not every peer of the server.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'aegir/chai'
import { LOOPBACK_TCP, loopbackPeer, sleep, waitFor } from '../harness/peers.ts'
import { DEFAULT_DISCOVERY_INTERVAL, DEFAULT_DISCOVERY_TOPIC } from '../src/config/constants.ts'
import { addressDiscovery } from '../src/config/discovery.ts'
import { createPeer } from '../src/index.ts'
import { dialDiscoveredPeers } from '../src/node/discovery-dialer.ts'
import type { Docpeer } from '../src/index.ts'
import type { PeerId } from '@libp2p/interface'
import type { AddressInfo } from 'node:net'

/** a daemon whose announcements start every `interval` ms and back off to `maxInterval` */
async function announcer (interval: number, maxInterval: number): Promise<Docpeer> {
  // no discovery dials: the newcomer must learn the others from their announcements alone
  return loopbackPeer({ dht: false, dialDiscovered: false, libp2p: { peerDiscovery: [addressDiscovery({ interval, maxInterval })] } })
}

/** counts the discovery announcements `peer` receives, by signer */
function countAnnouncements (peer: Docpeer): Map<string, number> {
  const from = new Map<string, number>()
  peer.libp2p.services.pubsub.addEventListener('message', evt => {
    const message = evt.detail
    if (message.topic === DEFAULT_DISCOVERY_TOPIC && message.type === 'signed') {
      from.set(message.from.toString(), (from.get(message.from.toString()) ?? 0) + 1)
    }
  })
  return from
}

async function addressesOf (peer: Docpeer, of: PeerId): Promise<string[]> {
  const found = await peer.libp2p.peerStore.get(of).catch(() => undefined)
  return (found?.addresses ?? []).map(a => a.multiaddr.toString())
}

/** a discovery announcement (pubsub-peer-discovery's protobuf: 1 publicKey, 2 repeated addrs) */
function announcement (publicKey: Uint8Array, addrs: Uint8Array[]): Uint8Array {
  const field = (tag: number, bytes: Uint8Array): number[] => [tag, ...varint(bytes.length), ...bytes]
  return Uint8Array.from([...field(0x0a, publicKey), ...addrs.flatMap(a => field(0x12, a))])
}

function varint (n: number): number[] {
  const out: number[] = []
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80)
    n >>>= 7
  }
  out.push(n)
  return out
}

describe('discovery: announcements on the server\'s topic', function () {
  this.timeout(30_000)

  const peers: Docpeer[] = []

  afterEach(async () => {
    await Promise.all(peers.splice(0).map(async peer => { await peer.stop() }))
  })

  it('a daemon with an address announces it; a daemon without one stays quiet', async () => {
    const server = await loopbackPeer({ role: 'server', dht: false })
    const listening = await loopbackPeer({ dht: false })
    const silent = await loopbackPeer({ dht: false, listen: [] })
    peers.push(server, listening, silent)

    const from = countAnnouncements(server)

    await listening.dial(server.libp2p.getMultiaddrs()[0])
    await silent.dial(server.libp2p.getMultiaddrs()[0])

    await waitFor(() => (from.get(listening.peerId.toString()) ?? 0) > 0, DEFAULT_DISCOVERY_INTERVAL * 3, 'the listening daemon\'s announcement')
    // by now the silent one has had the same intervals to announce in
    await sleep(DEFAULT_DISCOVERY_INTERVAL)
    expect(silent.libp2p.getMultiaddrs()).to.deep.equal([])
    expect(from.get(silent.peerId.toString()) ?? 0).to.equal(0)
  })

  // 13 daemons on one address: more than gossipsub's default IP colocation threshold (10), past
  // which the server graylisted them all and forwarded no announcement (see common.ts)
  it('13 daemons on one address hear each other; each dials at most dialDiscovered of them, the others stay in its peer store', async () => {
    const server = await loopbackPeer({ role: 'server', dht: false })
    peers.push(server)
    const daemons: Docpeer[] = []
    const count = 13

    for (let i = 0; i < count; i++) {
      const daemon = await loopbackPeer({ dht: false, dialDiscovered: 2 })
      peers.push(daemon)
      daemons.push(daemon)
      await daemon.dial(server.libp2p.getMultiaddrs()[0])
    }

    const serverId = server.peerId.toString()
    const others = (daemon: Docpeer): string[] => daemons.filter(d => d !== daemon).map(d => d.peerId.toString())
    const known = async (daemon: Docpeer): Promise<number> => {
      const all = await daemon.libp2p.peerStore.all()
      return all.filter(p => others(daemon).includes(p.id.toString()) && p.addresses.length > 0).length
    }

    // every daemon hears every other one's announcement (through the server) and keeps its address
    await waitFor(async () => (await Promise.all(daemons.map(known))).every(n => n === count - 1), DEFAULT_DISCOVERY_INTERVAL * 4, 'every daemon knowing the other twelve')
    // the dials the announcements started have had time to finish
    await sleep(1000)

    const dialedByDiscovery = daemons.map(daemon => daemon.libp2p.getConnections()
      .filter(c => c.direction === 'outbound' && c.remotePeer.toString() !== serverId).length)
    expect(Math.max(...dialedByDiscovery)).to.be.at.most(2)
    // discovery still connects peers of one server directly
    expect(dialedByDiscovery.reduce((a, b) => a + b, 0)).to.be.at.least(1)

    // and a peer it did not dial is one dial by id away
    const daemon = daemons[0]
    const stranger = daemons.slice(1).find(d => daemon.libp2p.getConnections(d.peerId).length === 0)

    if (stranger != null) {
      await daemon.dial(stranger.peerId)
      expect(daemon.libp2p.getConnections(stranger.peerId)).to.not.have.lengthOf(0)
    }
  })

  it('a dialDiscovered that is not a boolean or a whole number is refused before the data directory is made', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'docpeer-discovery-'))

    try {
      for (const bad of [-1, 1.5, Number.NaN, '3']) {
        const dataDir = join(parent, 'data')
        const err = await createPeer({ dataDir, mdns: false, listen: [], dialDiscovered: bad as any }).then(() => undefined, (err: Error) => err)
        expect(err?.name, String(bad)).to.equal('InvalidParametersError')
        expect(err?.message).to.include('dialDiscovered')
      }

      expect(await readdir(parent)).to.deep.equal([])
    } finally {
      await rm(parent, { recursive: true, force: true })
    }
  })

  it('announcements repeat rarely while nothing changes, and a newcomer is answered at once', async () => {
    const server = await loopbackPeer({ role: 'server', dht: false })
    const settled = await announcer(200, 20_000)
    peers.push(server, settled)
    const from = countAnnouncements(server)
    await settled.dial(server.libp2p.getMultiaddrs()[0])

    // at start and 0.4 s later, the same again each time identify updates its own record (once
    // or twice in the first second or two), then not before 20 s: 2 to 6 in 8 s where a fixed
    // interval sends 40
    await sleep(8000)
    const sent = from.get(settled.peerId.toString()) ?? 0
    expect(sent).to.be.within(1, 8)

    // the settled daemon's next announcement is over 10 s away; a newcomer's announcement brings
    // one forward, so the newcomer learns its address within about one interval
    const newcomer = await announcer(200, 20_000)
    peers.push(newcomer)
    const joined = Date.now()
    await newcomer.dial(server.libp2p.getMultiaddrs()[0])
    await waitFor(async () => (await addressesOf(newcomer, settled.peerId)).length > 0, 3000, 'the newcomer hearing the settled daemon')
    expect(Date.now() - joined).to.be.below(3000)
    expect(from.get(settled.peerId.toString())).to.be.above(sent)
    expect(newcomer.libp2p.getConnections(settled.peerId)).to.have.lengthOf(0)
  })

  it('an announcement naming another peer than its signer is ignored', async () => {
    const server = await loopbackPeer({ role: 'server', dht: false })
    const victim = await loopbackPeer({ dht: false, listen: [] })
    const liar = await loopbackPeer({ dht: false, listen: [] })
    const listener = await loopbackPeer({ dht: false })
    peers.push(server, victim, liar, listener)

    for (const peer of [liar, listener]) {
      await peer.dial(server.libp2p.getMultiaddrs()[0])
    }
    await waitFor(() => liar.libp2p.services.pubsub.getSubscribers(DEFAULT_DISCOVERY_TOPIC).length > 0, 5000, 'the liar joining the topic')
    await waitFor(() => server.libp2p.services.pubsub.getSubscribers(DEFAULT_DISCOVERY_TOPIC).length >= 2, 5000, 'the server seeing both on the topic')
    // the server forwards a message to the peers in its mesh: one forged message sent before it
    // grafted the listener went missing in 3 of 10 full runs of the suite on 2 loaded cores
    // (2026-12-07; waiting 15 s instead of 5 for it did not help), so wait for the graft, and send
    // the forged message again, at most 5 times, until the listener has it
    const mesh = (): string[] => (server.libp2p.services.pubsub as unknown as { getMeshPeers(topic: string): string[] }).getMeshPeers(DEFAULT_DISCOVERY_TOPIC)
    await waitFor(() => mesh().includes(listener.peerId.toString()), 10_000, 'the server grafting the listener')

    const bogus = multiaddr('/ip4/127.0.0.1/tcp/9/p2p/' + victim.peerId.toString())
    const honest = countAnnouncements(listener)
    const received = (): number => honest.get(liar.peerId.toString()) ?? 0

    for (let sent = 0; sent < 5 && received() === 0; sent++) {
      // the liar's own announcement goes through, the forged one (victim's key, liar's signature) too
      await liar.libp2p.services.pubsub.publish(DEFAULT_DISCOVERY_TOPIC, announcement(publicKeyToProtobuf(victim.peerId.publicKey!), [bogus.bytes]))
      await waitFor(() => received() > 0, 3000, 'the listener receiving the forged announcement').catch(() => {})
    }

    expect(received(), 'forged announcements the listener received').to.be.above(0)
    await sleep(200)

    expect(await addressesOf(listener, victim.peerId)).to.deep.equal([])
  })
})

describe('discovery: who dials when two peers discover each other', function () {
  this.timeout(30_000)

  const peers: Docpeer[] = []
  const stops: Array<() => void> = []

  afterEach(async () => {
    stops.splice(0).forEach(stop => { stop() })
    await Promise.all(peers.splice(0).map(async peer => peer.stop()))
  })

  /** two daemons that know nothing of each other, the one whose id sorts first as `first` */
  async function pair (): Promise<{ first: Docpeer, second: Docpeer }> {
    const [x, y] = await Promise.all([0, 1].map(async () => loopbackPeer({ dht: false, dialDiscovered: false })))
    peers.push(x, y)
    return x.peerId.toString() < y.peerId.toString() ? { first: x, second: y } : { first: y, second: x }
  }

  /** runs docpeer's discovery dialer on `peer`, waiting `deferMs` where the other dials first */
  function dialer (peer: Docpeer, deferMs: number): void {
    stops.push(dialDiscoveredPeers(peer.libp2p, { maxConnections: Infinity, maxDialed: 4, deferMs }))
  }

  /** what a discovery module does when it hears `of`: its addresses into the store, then the event */
  async function discovers (peer: Docpeer, of: Docpeer): Promise<void> {
    await peer.libp2p.peerStore.merge(of.peerId, { multiaddrs: of.libp2p.getMultiaddrs() })
    peer.libp2p.safeDispatchEvent('peer:discovery', { detail: { id: of.peerId, multiaddrs: of.libp2p.getMultiaddrs() } })
  }

  const directions = (peer: Docpeer, other: Docpeer): string[] => peer.libp2p.getConnections(other.peerId).map(c => c.direction)

  it('two peers that discover each other at once end up with one connection, dialed by the one whose id sorts first', async () => {
    const { first, second } = await pair()
    dialer(first, 1000)
    dialer(second, 1000)

    // both hear each other in the same turn, as two pages announcing through one server do
    await Promise.all([discovers(first, second), discovers(second, first)])
    await waitFor(() => directions(first, second).length > 0, 10_000, 'a connection between them')
    // past the wait of the second: it found the connection there and did not dial
    await sleep(1500)

    // (both dialing at once left two connections: between two pages, two WebRTC handshakes on a
    // loaded machine instead of one, each of which could time out)
    expect(directions(first, second)).to.deep.equal(['outbound'])
    expect(directions(second, first)).to.deep.equal(['inbound'])
  })

  it('a peer that discovered one whose id sorts first dials it itself once it waited and no connection came', async () => {
    const { first, second } = await pair()
    dialer(first, 1000)
    dialer(second, 1000)

    // only the second heard of the first (the first's announcement reached it, not the reverse)
    const heard = Date.now()
    await discovers(second, first)
    await waitFor(() => directions(second, first).length > 0, 10_000, 'the second dialing the first')
    const waited = Date.now() - heard

    expect(directions(second, first)).to.deep.equal(['outbound'])
    expect(waited, 'ms from hearing to the connection').to.be.at.least(900)
  })

  it('a failed dial of a discovered peer is tried again, and not once it connected', async () => {
    const { first: x, second: y } = await pair()
    dialer(x, 300)
    dialer(y, 300)

    // x first hears of y at an address that drops every connection (as a WebRTC handshake that
    // timed out fails); once x tried it, y's real addresses replace it
    let tried = 0
    const dropper = createServer(socket => {
      tried++
      socket.destroy()
      void x.libp2p.peerStore.patch(y.peerId, { multiaddrs: y.libp2p.getMultiaddrs() })
    })
    await new Promise<void>(resolve => dropper.listen(0, '127.0.0.1', resolve))

    try {
      const dropping = multiaddr(`/ip4/127.0.0.1/tcp/${(dropper.address() as AddressInfo).port}`)
      await x.libp2p.peerStore.merge(y.peerId, { multiaddrs: [dropping] })
      x.libp2p.safeDispatchEvent('peer:discovery', { detail: { id: y.peerId, multiaddrs: [dropping] } })

      await waitFor(() => directions(x, y).length > 0, 10_000, 'x connected to y after trying again')
      // past the longest wait before a third attempt: none came
      await sleep(2000)

      expect(tried).to.equal(1)
      expect(directions(x, y)).to.deep.equal(['outbound'])
    } finally {
      dropper.close()
    }
  })

  it('a peer connected to a discovered one only through a relay (a limited connection) still dials it', async () => {
    // what a WebRTC dial through a relay leaves behind, failed or not: the relayed connection
    const [relay, x, y] = await Promise.all([
      loopbackPeer({ role: 'server', dht: false, dialDiscovered: false }),
      loopbackPeer({ dht: false, dialDiscovered: false }),
      loopbackPeer({ dht: false, dialDiscovered: false, listen: [LOOPBACK_TCP, '/p2p-circuit'] })
    ])
    peers.push(relay, x, y)
    await y.libp2p.dial(relay.libp2p.getMultiaddrs()[0])
    await waitFor(() => y.libp2p.getMultiaddrs().some(ma => ma.toString().includes('/p2p-circuit')), 10_000, 'a relay reservation')
    const relayed = await x.libp2p.dial(y.libp2p.getMultiaddrs().find(ma => ma.toString().includes('/p2p-circuit'))!)
    expect(relayed.limits, 'the relayed connection has limits').to.not.equal(undefined)

    dialer(x, 300)
    await discovers(x, y)
    await waitFor(() => x.libp2p.getConnections(y.peerId).some(c => c.limits == null), 10_000, 'x dialing y beside the relayed connection')
  })

  it('a peer that discovered one whose id sorts last dials it at once', async () => {
    const { first, second } = await pair()
    dialer(first, 60_000)
    dialer(second, 60_000)

    await discovers(first, second)
    await waitFor(() => directions(first, second).length > 0, 10_000, 'the first dialing the second')
    expect(directions(first, second)).to.deep.equal(['outbound'])
  })
})
