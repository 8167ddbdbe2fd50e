/**
 * The shape of the generated libp2p options per environment: listen addresses, transports and
 * services. Transports are read off a built (not started) libp2p node, since the options only hold
 * factories.
 */
// first: the browser config below loads @libp2p/webrtc, and with it node-datachannel, in Node;
// loaded before the guard, node-datachannel keeps its native IceUdpMuxListener for every later test
// in this mocha process (test/ice-udp-mux-guard.node.ts)
import '../src/config/ice-udp-mux-guard.ts'
import { expect } from 'aegir/chai'
import { createLibp2p } from 'libp2p'
import { applyOverrides } from '../src/config/common.ts'
import * as browserConfig from '../src/config/defaults.browser.ts'
import * as nodeConfig from '../src/config/defaults.ts'
import type { Libp2pOptions } from 'libp2p'

async function transportsOf (options: Libp2pOptions<any>): Promise<string[]> {
  const node: any = await createLibp2p({ ...options, start: false })
  const names = node.components.transportManager.getTransports().map((t: any) => t[Symbol.toStringTag])
  return names.sort()
}

const COMMON_SERVICES = ['identify', 'identifyPush', 'ping', 'pubsub']

describe('libp2p options per environment', () => {
  it('daemon: TCP and WS listeners, relay and WebRTC transports, mDNS, pubsub discovery, AutoNAT and DCUtR', async () => {
    const options = await nodeConfig.libp2pDefaults({ role: 'daemon', ports: { tcp: 4101, ws: 4102 } })

    expect(options.addresses?.listen).to.deep.equal(['/ip4/0.0.0.0/tcp/4101', '/ip4/0.0.0.0/tcp/4102/ws', '/p2p-circuit', '/webrtc'])
    expect(Object.keys(options.services ?? {})).to.include.members([...COMMON_SERVICES, 'autoNAT', 'dcutr'])
    expect(options.services).to.not.have.property('relay')
    // mDNS and pubsub peer discovery (daemons on one server find each other, as browsers do)
    expect(options.peerDiscovery).to.have.lengthOf(2)
    expect(await transportsOf(options)).to.deep.equal(['@libp2p/circuit-relay-v2-transport', '@libp2p/tcp', '@libp2p/webrtc', '@libp2p/webrtc-direct', '@libp2p/websockets'])
  })

  it('daemon: mDNS off on request, bootstrap list adds a discovery module', async () => {
    expect((await nodeConfig.libp2pDefaults({ mdns: false })).peerDiscovery).to.have.lengthOf(1)
    expect((await nodeConfig.libp2pDefaults({ mdns: false, bootstrap: ['/ip4/127.0.0.1/tcp/1/p2p/12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq'] })).peerDiscovery).to.have.lengthOf(2)
  })

  it('server: relay server with the given limits, WSS listener only with a certificate', async () => {
    const plain = await nodeConfig.libp2pDefaults({ role: 'server', relay: { maxReservations: 7 } })
    expect(Object.keys(plain.services ?? {})).to.include.members([...COMMON_SERVICES, 'relay', 'autoNAT'])
    expect(plain.addresses?.listen?.some(ma => ma.includes('/tls/ws'))).to.be.false()
    expect(plain.peerDiscovery, 'no mDNS on a server by default, only pubsub discovery that forwards browsers\' announcements').to.have.lengthOf(1)
    expect(await transportsOf(plain)).to.include.members(['@libp2p/tcp', '@libp2p/websockets', '@libp2p/circuit-relay-v2-transport'])

    const node: any = await createLibp2p({ ...plain, start: false })
    expect(node.services.relay.reservationStore.maxReservations).to.equal(7)
  })

  it('server: limits of the connection manager are options', async () => {
    const options = await nodeConfig.libp2pDefaults({ role: 'server', maxConnections: 12, inboundConnectionThreshold: 3, maxIncomingPendingConnections: 7 })
    expect(options.connectionManager).to.include({ maxConnections: 12, inboundConnectionThreshold: 3, maxIncomingPendingConnections: 7 })
    expect((await nodeConfig.libp2pDefaults({ role: 'server' })).connectionManager).to.include({ maxIncomingPendingConnections: 128 })
  })

  it('server: pings its connections every 30 s and waits 60-120 s for an answer; other roles every 30 s too, 30-60 s', async () => {
    const server = await nodeConfig.libp2pDefaults({ role: 'server' })
    expect(server.connectionMonitor).to.deep.equal({ pingInterval: 30_000, pingTimeout: { minTimeout: 60_000, maxTimeout: 120_000 } })
    const daemon = await nodeConfig.libp2pDefaults({ role: 'daemon' })
    expect(daemon.connectionMonitor).to.deep.equal({ pingInterval: 30_000, pingTimeout: { minTimeout: 30_000, maxTimeout: 60_000 } })
  })

  it('server: announce addresses are passed through', async () => {
    const options = await nodeConfig.libp2pDefaults({ role: 'server', announce: ['/dns4/example.com/tcp/443/tls/ws'] })
    expect(options.addresses?.announce).to.deep.equal(['/dns4/example.com/tcp/443/tls/ws'])
  })

  it('refuses a role the environment cannot take', async () => {
    await expect(nodeConfig.libp2pDefaults({ role: 'browser' })).to.eventually.be.rejectedWith(/Unknown role/)
    await expect(browserConfig.libp2pDefaults({ role: 'server' })).to.eventually.be.rejectedWith(/browsers can only/)
  })

  it('browser: WebSockets, WebRTC, WebRTC Direct and relay transports, listening on /p2p-circuit and /webrtc', async () => {
    const options = await browserConfig.libp2pDefaults()

    expect(browserConfig.DEFAULT_ROLE).to.equal('browser')
    expect(options.addresses?.listen).to.deep.equal(['/p2p-circuit', '/webrtc'])
    expect(Object.keys(options.services ?? {})).to.include.members(COMMON_SERVICES)
    expect(options.connectionGater, 'browser defaults keep libp2p\'s gater').to.be.undefined()
    expect(await transportsOf(options)).to.deep.equal([
      '@libp2p/circuit-relay-v2-transport', '@libp2p/webrtc', '@libp2p/webrtc-direct', '@libp2p/websockets'
    ])
  })

  it('browser: insecure WebSockets only by an explicit option', async () => {
    const options = await browserConfig.libp2pDefaults({ allowInsecureWebSockets: true })
    expect(await options.connectionGater?.denyDialMultiaddr?.(undefined as any)).to.equal(false)
  })

  it('overrides replace top-level keys and single services', async () => {
    const options = await nodeConfig.libp2pDefaults({ mdns: false })
    const custom = (): any => ({})
    const merged = applyOverrides(options, {
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      services: { dcutr: undefined, custom }
    })

    expect(merged.addresses?.listen).to.deep.equal(['/ip4/127.0.0.1/tcp/0'])
    expect(merged.services).to.not.have.property('dcutr')
    expect(merged.services).to.have.property('custom', custom)
    expect(merged.services).to.have.property('pubsub')
    expect(merged.transports).to.equal(options.transports)
  })
})
