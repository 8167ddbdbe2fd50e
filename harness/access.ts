/**
 * Helpers for the access tests and the attacks soak: a server holding a restricted document with
 * a writer and a reader, and hand-made sync frames (a real automerge sync message carrying a change)
 * that a hostile libp2p node sends on docpeer's sync protocol.
 */
import { Automerge } from '@automerge/automerge-repo/slim'
import { bareNode, loopbackPeer, waitFor } from './peers.ts'
import { answerDialBack, encodeFrame, joinAs } from './soak/fuzz-inputs.ts'
import type { Docpeer, DocpeerInit } from '../src/index.ts'
import type { DocHandle } from '@automerge/automerge-repo'
import type { Libp2p } from '@libp2p/interface'

export interface AccessDoc {
  text?: string
  [mark: string]: unknown
}

export interface AccessNetwork {
  server: Docpeer
  writer: Docpeer
  reader: Docpeer
  stranger: Docpeer
  handle: DocHandle<AccessDoc>
  stop(): Promise<void>
}

/**
 * A `restricted` server with one document shared with `writer` (write) and `reader` (read); each
 * of the three daemons has synced with the server.
 */
export async function accessNetwork (serverInit: DocpeerInit = {}): Promise<AccessNetwork> {
  const server = await loopbackPeer({ role: 'server', access: 'restricted', ...serverInit })
  const [writer, reader, stranger] = await Promise.all([loopbackPeer(), loopbackPeer(), loopbackPeer()])
  const handle = server.repo!.create<AccessDoc>({ text: 'hello' })
  await server.access.share(handle.url, writer.peerId, 'write')
  await server.access.share(handle.url, reader.peerId, 'read')
  const address = server.libp2p.getMultiaddrs()[0]
  await Promise.all([writer, reader, stranger].map(async peer => peer.syncWith(address)))

  return {
    server,
    writer,
    reader,
    stranger,
    handle,
    stop: async () => {
      await Promise.all([writer, reader, stranger, server].map(async peer => peer.stop()))
    }
  }
}

/**
 * An automerge sync message that carries a change (`mark` set to true) to `doc`, made by syncing
 * two local copies: replayed to a peer that holds `doc`, it applies the change.
 */
export function syncMessageWithChange (doc: AccessDoc, mark: string): Uint8Array {
  let ours = Automerge.change(Automerge.clone(doc), d => { d[mark] = true })
  let theirs = Automerge.clone(doc)
  let ourState = Automerge.initSyncState()
  let theirState = Automerge.initSyncState()

  for (let i = 0; i < 10; i++) {
    const [nextOurState, message] = Automerge.generateSyncMessage(ours, ourState)
    ourState = nextOurState

    if (message == null) {
      break
    }

    if (Automerge.decodeSyncMessage(message).changes.length > 0) {
      return message
    }

    [theirs, theirState] = Automerge.receiveSyncMessage(theirs, theirState, message)
    const [nextTheirState, reply] = Automerge.generateSyncMessage(theirs, theirState)
    theirState = nextTheirState

    if (reply != null) {
      [ours, ourState] = Automerge.receiveSyncMessage(ours, ourState, reply)
    }
  }

  throw new Error('no sync message with changes came out of a local sync')
}

export interface HostileSession {
  node: Libp2p
  /**
   * Sends a repo message on the sync stream; resolves false if the stream is gone.
   */
  send(message: Record<string, unknown>): boolean
  /**
   * Whether the target reset or closed the stream.
   */
  ended(): boolean
  stop(): Promise<void>
}

/**
 * A bare libp2p node that joins `target`'s sync protocol under its own id (or `joinId`).
 */
export async function hostileSession (target: Docpeer, node?: Libp2p): Promise<HostileSession> {
  const hostile = node ?? await bareNode()
  await answerDialBack(hostile).catch(() => {})
  const connection = await hostile.dial(target.libp2p.getMultiaddrs()[0])
  const joined = await joinAs(connection, hostile.peerId.toString())
  let ended = false
  void joined.ended.then(() => { ended = true })
  await waitFor(() => target.repo!.peers.includes(hostile.peerId.toString() as any), 10_000, 'the hostile peer to be up')

  return {
    node: hostile,
    send: message => {
      if (ended || joined.stream.status !== 'open') {
        return false
      }
      return joined.stream.send(encodeFrame(message))
    },
    ended: () => ended,
    stop: async () => { await hostile.stop() }
  }
}

/**
 * Fields of `doc` whose name starts with `prefix`: the marks of changes that got in.
 */
export function marksIn (doc: AccessDoc | undefined, prefix: string): string[] {
  return Object.keys(doc ?? {}).filter(key => key.startsWith(prefix))
}
