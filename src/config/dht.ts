/**
 * The libp2p DHT (`@libp2p/kad-dht`) of a docpeer node: how peers and documents are found by id.
 *
 * docpeer runs its own DHT (protocol `/docpeer/kad/1.0.0`), not the IPFS one: only docpeer nodes
 * answer, and a lookup is a few hops among them. Servers take part in server mode (they hold the
 * routing table and provider records and answer queries); daemons and browsers in client mode: they
 * query and announce through the servers they are connected to but are never asked, so they keep
 * only the connections they chose. Measured here (3 servers + 20 daemons, loopback): with every
 * peer in server mode each daemon connected to 11-27 peers and idle CPU went from 7% to 130% of a
 * core; with daemons in client mode, dial by peer id took 139-364 ms and a first provider 0.3-1.4 s.
 *
 * kad-dht is imported only when a node runs it (it adds about 60 modules and 95 ms of import).
 */
import { PROTOCOL_PREFIX } from '../constants.ts'
import type { PeerRole } from './types.ts'

/**
 * The protocol of docpeer's own DHT.
 */
export const DOCPEER_DHT_PROTOCOL = `/${PROTOCOL_PREFIX}/kad/1.0.0`

export interface DhtOptions {
  /**
   * The DHT protocol: another id joins another DHT (e.g. `/ipfs/kad/1.0.0`, the IPFS Amino DHT).
   *
   * @default '/docpeer/kad/1.0.0'
   */
  protocol?: string

  /**
   * Only query and announce; never answer queries or hold records for others.
   *
   * @default false for 'server', true for 'daemon' and 'browser'
   */
  clientMode?: boolean

  /**
   * Keep private and loopback addresses in what the DHT stores and hands out. On by default for
   * docpeer's own DHT (a LAN or a test network is a valid docpeer network), off when `protocol`
   * names another DHT, where private addresses only mislead.
   *
   * @default true for docpeer's protocol, false otherwise
   */
  privateAddresses?: boolean
}

/**
 * The kad-dht service of a node of `role`, or undefined when `dht` is false.
 */
export async function dhtService (role: PeerRole, dht: boolean | DhtOptions | undefined): Promise<((components: any) => unknown) | undefined> {
  if (dht === false) {
    return undefined
  }

  const options = dht === true || dht == null ? {} : dht
  const protocol = options.protocol ?? DOCPEER_DHT_PROTOCOL
  const { kadDHT, passthroughMapper, removePrivateAddressesMapper } = await import('@libp2p/kad-dht')

  return kadDHT({
    protocol,
    clientMode: options.clientMode ?? role !== 'server',
    peerInfoMapper: (options.privateAddresses ?? protocol === DOCPEER_DHT_PROTOCOL) ? passthroughMapper : removePrivateAddressesMapper,
    // a fresh peer's first lookup otherwise waits for its first self-query, 1 s after start
    initialQuerySelfInterval: 0
  })
}
