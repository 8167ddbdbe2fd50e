/**
 * The parts of the libp2p config every environment shares: noise, yamux, identify, identify-push,
 * ping and gossipsub. gossipsub is registered as `services.pubsub` because OrbitDB looks it up there.
 */
import { bootstrap } from '@libp2p/bootstrap'
import { identify, identifyPush } from '@libp2p/identify'
import { KEEP_ALIVE } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { withCoalescedWrites } from '../tuning/coalesced-writes.ts'
import { docpeerYamux } from '../tuning/yamux.ts'
import { DEFAULT_PING_INTERVAL } from './constants.ts'
import { pubsubService } from './pubsub.ts'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Identify, IdentifyPush } from '@libp2p/identify'
import type { ConnectionEncrypter, PeerId, PrivateKey, ServiceMap, StreamMuxerFactory, Upgrader, ComponentLogger } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import type { Libp2pOptions, ServiceFactoryMap } from 'libp2p'

/**
 * Bootstrap peers are tagged with a `keep-alive` prefixed tag: libp2p redials peers carrying one
 * when their connection drops and, from the peer store, after a restart.
 */
export const BOOTSTRAP_TAG = `${KEEP_ALIVE}-docpeer-bootstrap`

/**
 * The bootstrap discovery module for `list`, or nothing for an empty list (the module refuses one).
 */
export function bootstrapDiscovery (list?: string[]): NonNullable<Libp2pOptions['peerDiscovery']> {
  // timeout 0: dial them as soon as the node has started (the module's default waits 1 s)
  return list == null || list.length === 0 ? [] : [bootstrap({ list, tagName: BOOTSTRAP_TAG, timeout: 0 })]
}

/**
 * The services every docpeer node carries.
 */
export interface DocpeerServices extends ServiceMap {
  identify: Identify
  identifyPush: IdentifyPush
  ping: Ping
  pubsub: GossipSub
}

interface CryptoComponents {
  privateKey: PrivateKey
  peerId: PeerId
  upgrader: Upgrader
  logger: ComponentLogger
}

export function commonEncrypters (): Array<(components: CryptoComponents) => ConnectionEncrypter> {
  return [withCoalescedWrites(noise())]
}

export function commonMuxers (): Array<(components: any) => StreamMuxerFactory> {
  return [docpeerYamux()]
}

/**
 * libp2p pings every connection every 10 s (here every 30 s: DEFAULT_PING_INTERVAL) and aborts one
 * whose ping takes longer than an adaptive timeout of at least 5 s. A peer busy in automerge (loading or merging a large document blocks its
 * event loop for seconds) then loses all its connections mid-sync; 30 s tells a busy peer from a
 * dead one.
 */
export function commonConnectionMonitor (): NonNullable<Libp2pOptions['connectionMonitor']> {
  return {
    pingInterval: DEFAULT_PING_INTERVAL,
    pingTimeout: {
      minTimeout: 30_000,
      maxTimeout: 60_000
    }
  }
}

/**
 * Encryption, multiplexing and connection monitoring, the same in every environment.
 */
export function commonConnectionOptions (): Pick<Libp2pOptions<any>, 'connectionEncrypters' | 'streamMuxers' | 'connectionMonitor'> {
  return {
    connectionEncrypters: commonEncrypters(),
    streamMuxers: commonMuxers(),
    connectionMonitor: commonConnectionMonitor()
  }
}

/**
 * Services present in every environment.
 */
export function commonServices (): ServiceFactoryMap<DocpeerServices> {
  return {
    identify: identify(),
    identifyPush: identifyPush(),
    // libp2p's connection monitor and kad-dht's routing-table checks both ping; with @libp2p/ping's
    // default of 1 stream per connection they collide and the monitor aborts the connection
    // (14-16 spurious disconnects in 30 s among 23 DHT peers here; none with 8)
    ping: ping({ maxOutboundStreams: 8, maxInboundStreams: 8 }),
    pubsub: pubsubService() as any
  }
}

/**
 * Options a caller can pass to replace parts of the generated libp2p config. Top-level keys replace
 * the generated ones; `services` is merged one service deep, so a caller can add or replace a single
 * service (or remove one by setting it to `undefined`).
 */
export type Libp2pOverrides = Omit<Partial<Libp2pOptions<any>>, 'services'> & {
  services?: Record<string, ((components: any) => unknown) | undefined>
}

export function applyOverrides (options: Libp2pOptions<any>, overrides: Libp2pOverrides = {}): Libp2pOptions<any> {
  const { services, ...rest } = overrides
  const merged: Libp2pOptions<any> = { ...options, ...rest }

  if (services != null) {
    const combined: Record<string, any> = { ...options.services, ...services }

    for (const [name, factory] of Object.entries(combined)) {
      if (factory == null) {
        delete combined[name]
      }
    }

    merged.services = combined
  }

  return merged
}
