/**
 * Which peers and connections may carry sync: the allow and deny lists, limited (relayed)
 * connections, the choice among several connections to one peer, and the rule that an automerge
 * peer id be the libp2p one. The adapter asks the same questions of a connection it finds itself
 * and of one given to `syncWith()`, so both follow one rule.
 */
import { ProtocolError } from '@libp2p/interface'
import { PeerIdMismatchError, PeerNotAllowedError } from './errors.ts'
import type { PeerId as RepoPeerId } from '@automerge/automerge-repo/slim'
import type { Connection, PeerId } from '@libp2p/interface'

export interface SyncPolicyInit {
  allow?: Array<string | PeerId>
  deny?: Array<string | PeerId>
  runOnLimitedConnection: boolean
  peerIdMatchesLibp2p: boolean
}

function toPeerIdSet (list?: Array<string | PeerId>): Set<string> | undefined {
  return list == null ? undefined : new Set(list.map(p => p.toString()))
}

export class SyncPolicy {
  readonly runOnLimitedConnection: boolean
  private readonly allow?: Set<string>
  private readonly deny?: Set<string>
  private readonly peerIdMatchesLibp2p: boolean

  constructor (init: SyncPolicyInit) {
    this.allow = toPeerIdSet(init.allow)
    this.deny = toPeerIdSet(init.deny)
    this.runOnLimitedConnection = init.runOnLimitedConnection
    this.peerIdMatchesLibp2p = init.peerIdMatchesLibp2p
  }

  /**
   * The allow and deny lists (deny first). Inbound streams are held to this alone: libp2p already
   * refuses them on limited connections unless the protocol handler allows those.
   */
  isAllowed (peer: PeerId): boolean {
    const key = peer.toString()

    if (this.deny?.has(key) === true) {
      return false
    }

    return this.allow == null || this.allow.has(key)
  }

  /**
   * Why sync may not run over this connection, or undefined if it may.
   */
  refusal (connection: Connection): Error | undefined {
    const peer = connection.remotePeer.toString()

    if (!this.isAllowed(connection.remotePeer)) {
      return new PeerNotAllowedError(`${peer} is not allowed to sync (allow/deny lists)`)
    }

    if (connection.limits != null && !this.runOnLimitedConnection) {
      return new ProtocolError(`The connection to ${peer} is limited (a relay); sync waits for a direct one unless runOnLimitedConnection is set`)
    }

    if (connection.status !== 'open') {
      return new ProtocolError(`The connection to ${peer} is ${connection.status}`)
    }

    return undefined
  }

  usable (connection: Connection): boolean {
    return this.refusal(connection) == null
  }

  /**
   * The connection to sync over among a peer's connections: a direct one if there is one.
   */
  choose (connections: Connection[]): Connection | undefined {
    const usable = connections.filter(c => this.usable(c))
    return usable.find(c => c.limits == null) ?? usable[0]
  }

  /**
   * With `peerIdMatchesLibp2p`, the automerge peer id a remote presents must be its libp2p peer id.
   * Throws the reason it is not.
   */
  checkPresentedId (remotePeer: PeerId, repoPeerId: RepoPeerId): void {
    const key = remotePeer.toString()

    if (this.peerIdMatchesLibp2p && repoPeerId !== key) {
      throw new PeerIdMismatchError(`Peer ${key} presented automerge peer id ${repoPeerId}`)
    }
  }
}
