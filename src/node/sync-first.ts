/**
 * What a docpeer node's identify waits for on a new connection (config/deferred-identify.ts): the
 * sync handshake on that connection, so the two do not share the event loop. Until the Repo's
 * adapter is there (libp2p starts first, and a peer made with `repo: false` has none), nothing.
 */
import type { IdentifyGate } from '../config/deferred-identify.ts'
import type { Libp2pNetworkAdapter } from '../sync/index.ts'
import type { Connection } from '@libp2p/interface'

/**
 * The longest identify waits for a handshake, in ms: a handshake that takes longer (a busy or
 * hostile peer) must not hold back what identify tells the other services for the adapter's whole
 * handshake timeout (10 s). A handshake on loopback takes 8-10 ms, 50 at once about a second.
 */
export const IDENTIFY_WAIT = 1000

export class SyncFirst implements IdentifyGate {
  /** set once the Repo's adapter exists */
  adapter?: Libp2pNetworkAdapter

  async wait (connection: Connection): Promise<void> {
    await this.adapter?.settled(connection, IDENTIFY_WAIT)
  }
}
