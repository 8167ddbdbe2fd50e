/**
 * The floor of workload 5's connect phase: `count` bare libp2p nodes (TCP, stock noise and yamux,
 * no services: no identify, pubsub, DHT or sync) dialing one bare listener at once. What any
 * libp2p stack pays for the connections alone, measured in the same processes as the hub and the
 * spokes, beside docpeer's figure (issue 13 asks for w5 within 3x of the anchor).
 */
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import type { Libp2p } from 'libp2p'

const nodes: Libp2p[] = []

async function bareNode (listen: string[]): Promise<Libp2p> {
  const node = await createLibp2p({
    addresses: { listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // every dial comes from 127.0.0.1 at once, as in w5's hub
    connectionManager: { inboundConnectionThreshold: 100_000, maxIncomingPendingConnections: 1000 }
  })
  nodes.push(node)
  return node
}

/**
 * Hub side: a bare listener. Returns its address.
 */
export async function listen (): Promise<string> {
  const node = await bareNode(['/ip4/127.0.0.1/tcp/0'])
  return node.getMultiaddrs()[0].toString()
}

/**
 * Spokes side: `count` bare nodes (made before the clock starts) dial `address` at once. Returns the
 * time until every connection is up, in ms.
 */
export async function dial (count: number, address: string): Promise<number> {
  const dialers = await Promise.all(Array.from({ length: count }, async () => bareNode([])))
  const started = performance.now()
  await Promise.all(dialers.map(async node => node.dial(multiaddr(address))))
  return performance.now() - started
}

export async function stop (): Promise<void> {
  await Promise.all(nodes.splice(0).map(async node => { await node.stop() }))
}
