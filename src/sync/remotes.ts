/**
 * The per-peer table of one session: what we know of each remote libp2p peer we sync with, in a
 * named state, with one way in per direction (`open()` for our stream, `accept()` for theirs) and
 * one way out (`remove()`). Modelled on gossipsub's `streamsOutbound`/`streamsInbound` maps and its
 * `addPeer`/`removePeer`.
 *
 * It is also where stale work is recognised. Every transition is handed the `Link` it comes from and
 * does nothing when that link is no longer the one its remote holds: the remote was removed
 * (a stream failed, a new stream from the same peer replaced it) or the session ended, which
 * removes every remote and closes the table. Code that awaited something asks `link.current`;
 * nothing compares sessions.
 */
import { DuplicatePeerIdError, PeerIdMismatchError, SyncStoppedError } from './errors.ts'
import { cleanPeerMetadata } from './wire/messages.ts'
import type { FramedStream } from './framed-stream.ts'
import type { PeerId as RepoPeerId, PeerMetadata } from '@automerge/automerge-repo/slim'
import type { Connection, PeerId } from '@libp2p/interface'

/**
 * Where a remote is, from its first stream to its removal.
 *
 * `opening`: our stream to it is being opened or waits for its `peer` reply; nothing from it yet.
 *
 * `half-open`: one direction finished its handshake and the other has not: its `join` was accepted
 * while our stream is still opening (the dial-back), or its `peer` reply came and its own stream
 * has not joined yet.
 *
 * `up`: both directions finished; `peer-candidate` was emitted and messages flow both ways.
 *
 * `closed`: removed from the table, its streams aborted and, if it was up, `peer-disconnected`
 * emitted. A closed remote is never reused: the next stream makes a new one.
 */
export type RemoteState = 'opening' | 'half-open' | 'up' | 'closed'

/**
 * `outbound`: the stream we opened and write on. `inbound`: the stream the remote opened, which
 * we read.
 */
export type Direction = 'outbound' | 'inbound'

/**
 * What we know about one remote libp2p peer.
 */
export interface Remote {
  readonly key: string
  readonly libp2pPeer: PeerId
  readonly state: RemoteState
  /** the automerge peer id it presented */
  readonly repoPeerId?: RepoPeerId
  readonly peerMetadata?: PeerMetadata
  /** our stream to it, from the moment we start opening it */
  readonly outbound?: Link
  /** its stream to us, once its `join` was accepted */
  readonly inbound?: Link
  /** resolves when the remote is up, rejects with the reason when it is removed before */
  readonly whenUp: Promise<void>
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

interface RemoteRecord extends Mutable<Remote> {
  readonly up: PromiseWithResolvers<void>
}

/**
 * One direction of sync with a remote: the stream and the connection under it.
 */
export class Link {
  readonly remote: Remote
  readonly direction: Direction
  readonly connection: Connection
  private readonly table: Remotes
  private stream?: FramedStream
  private opened: boolean

  constructor (table: Remotes, remote: Remote, direction: Direction, connection: Connection, framed?: FramedStream) {
    this.table = table
    this.remote = remote
    this.direction = direction
    this.connection = connection
    this.stream = framed
    this.opened = framed != null
  }

  /**
   * The framed stream, once there is one (an outbound link waits for `newStream()` first).
   */
  get framed (): FramedStream | undefined {
    return this.stream
  }

  /**
   * An outbound link is `opening` until the remote's `peer` reply; an inbound one is recorded
   * `open`, after its `join` was accepted.
   */
  get state (): 'opening' | 'open' {
    return this.opened ? 'open' : 'opening'
  }

  /**
   * Still the link its remote holds, in a live table: what it reads may be acted on.
   */
  get current (): boolean {
    return this.remote.state !== 'closed' && this.remote[this.direction] === this
  }

  /**
   * The stream `newStream()` gave an opening outbound link.
   */
  attach (framed: FramedStream): void {
    this.stream = framed
  }

  /**
   * The handshake on this link is done (called by `Remotes.opened()`).
   */
  markOpen (): void {
    this.opened = true
  }

  /**
   * This link's stream ended or failed: removes its remote, if the link is still current. Returns
   * whether it did.
   */
  end (err: Error): boolean {
    if (!this.current) {
      return false
    }

    this.table.remove(this.remote, err)
    return true
  }
}

export interface RemotesInit {
  /** our own automerge peer id, which no remote may present */
  selfId: RepoPeerId
  /** a remote came up */
  onUp(remote: Remote): void
  /** a remote that was up was removed */
  onDown(remote: Remote, err: Error): void
}

export class Remotes {
  private readonly init: RemotesInit
  private readonly byKey: Map<string, RemoteRecord>
  private readonly byRepoPeerId: Map<RepoPeerId, RemoteRecord>
  private closed: boolean

  constructor (init: RemotesInit) {
    this.init = init
    this.byKey = new Map()
    this.byRepoPeerId = new Map()
    this.closed = false
  }

  get size (): number {
    return this.byKey.size
  }

  values (): IterableIterator<Remote> {
    return this.byKey.values()
  }

  get (peer: PeerId | string): Remote | undefined {
    return this.byKey.get(peer.toString())
  }

  /**
   * The remote that presented `repoPeerId`, if it is up.
   */
  up (repoPeerId: RepoPeerId): Remote | undefined {
    const remote = this.byRepoPeerId.get(repoPeerId)
    return remote?.state === 'up' ? remote : undefined
  }

  /**
   * The automerge peer ids of the remotes that are up.
   */
  upPeers (): RepoPeerId[] {
    return [...this.byKey.values()].filter(r => r.state === 'up' && r.repoPeerId != null).map(r => r.repoPeerId as RepoPeerId)
  }

  /**
   * The `whenUp` promises of the remotes on their way up.
   */
  pending (): Array<Promise<void>> {
    return [...this.byKey.values()].filter(r => r.state !== 'up').map(r => r.whenUp)
  }

  /**
   * The way in for our stream: records that we start opening one to the peer of `connection`
   * (callers check that the remote has no outbound link yet).
   */
  open (connection: Connection): Link {
    const remote = this.byKey.get(connection.remotePeer.toString()) ?? this.create(connection.remotePeer)
    const link = new Link(this, remote, 'outbound', connection)
    remote.outbound = link
    return link
  }

  /**
   * The remote's `peer` reply completed the handshake on our stream. Throws, changing nothing, when
   * the automerge peer id it presented does not fit (see `checkIdentity`).
   */
  opened (link: Link, repoPeerId: RepoPeerId, peerMetadata: PeerMetadata | undefined): void {
    if (!link.current || link.direction !== 'outbound') {
      throw new SyncStoppedError('The sync stream is no longer needed')
    }

    const remote = link.remote as RemoteRecord
    this.checkIdentity(remote, remote.key, repoPeerId)
    this.bind(remote, repoPeerId, peerMetadata)
    link.markOpen()
    this.settle(remote)
  }

  /**
   * The way in for the remote's stream: its `join` on `framed` passed the protocol checks (callers
   * remove a remote that already has an inbound link first). Throws, recording nothing, when the
   * automerge peer id it presented does not fit, or the session is over.
   */
  accept (connection: Connection, framed: FramedStream, repoPeerId: RepoPeerId, peerMetadata: PeerMetadata | undefined): Link {
    if (this.closed) {
      throw new SyncStoppedError()
    }

    const key = connection.remotePeer.toString()
    const existing = this.byKey.get(key)
    // before a remote is made: a refused join must not leave one behind (one per peer identity)
    this.checkIdentity(existing, key, repoPeerId)

    const remote = existing ?? this.create(connection.remotePeer)
    const link = new Link(this, remote, 'inbound', connection, framed)
    remote.inbound = link
    this.bind(remote, repoPeerId, peerMetadata)
    this.settle(remote)
    return link
  }

  /**
   * The one way out: forgets a remote, aborts its streams and, if it was up, reports it down.
   */
  remove (remote: Remote, err: Error): void {
    const record = this.byKey.get(remote.key)

    if (record == null || record !== remote) {
      return
    }

    // update the maps before aborting: abort() fires 'close' synchronously
    this.byKey.delete(record.key)

    if (record.repoPeerId != null && this.byRepoPeerId.get(record.repoPeerId) === record) {
      this.byRepoPeerId.delete(record.repoPeerId)
    }

    const wasUp = record.state === 'up'
    const streams = [record.inbound?.framed, record.outbound?.framed]
    record.state = 'closed'
    record.inbound = undefined
    record.outbound = undefined
    record.up.reject(err)

    for (const framed of streams) {
      framed?.abort(err)
    }

    if (wasUp) {
      this.init.onDown(record, err)
    }
  }

  /**
   * The session ended: removes every remote and accepts no new ones.
   */
  close (err: Error): void {
    this.closed = true

    for (const remote of [...this.byKey.values()]) {
      this.remove(remote, err)
    }
  }

  private create (peer: PeerId): RemoteRecord {
    if (this.closed) {
      throw new SyncStoppedError()
    }

    const up = Promise.withResolvers<void>()
    // nobody may be waiting for this peer
    up.promise.catch(() => {})
    const remote: RemoteRecord = {
      key: peer.toString(),
      libp2pPeer: peer,
      state: 'opening',
      up,
      whenUp: up.promise
    }
    this.byKey.set(remote.key, remote)
    return remote
  }

  /**
   * The automerge peer id a remote presented must fit what we know of it: the same on both of its
   * streams, and neither ours nor another remote's. Throws the reason it does not.
   */
  private checkIdentity (remote: RemoteRecord | undefined, key: string, repoPeerId: RepoPeerId): void {
    if (remote?.repoPeerId != null && remote.repoPeerId !== repoPeerId) {
      throw new PeerIdMismatchError(`Peer ${key} presented automerge peer ids ${remote.repoPeerId} and ${repoPeerId}`)
    }

    const holder = this.byRepoPeerId.get(repoPeerId)

    if (repoPeerId === this.init.selfId || (holder != null && holder !== remote)) {
      throw new DuplicatePeerIdError(`Automerge peer id ${repoPeerId} is already in use`)
    }
  }

  private bind (remote: RemoteRecord, repoPeerId: RepoPeerId, peerMetadata: PeerMetadata | undefined): void {
    remote.repoPeerId = repoPeerId
    remote.peerMetadata ??= cleanPeerMetadata(peerMetadata)
    this.byRepoPeerId.set(repoPeerId, remote)
  }

  /**
   * Moves a remote to the state its links say, and reports it up when both directions are open.
   */
  private settle (remote: RemoteRecord): void {
    const inbound = remote.inbound?.state === 'open'
    const outbound = remote.outbound?.state === 'open'
    let state: RemoteState = 'opening'

    if (inbound && outbound) {
      state = 'up'
    } else if (inbound || outbound) {
      state = 'half-open'
    }

    if (state === remote.state) {
      return
    }

    remote.state = state

    if (state === 'up') {
      remote.up.resolve()
      this.init.onUp(remote)
    }
  }
}
