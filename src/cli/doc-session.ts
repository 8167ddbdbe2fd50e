/**
 * The Repo a `docpeer doc ...` command works through. With `--peer MA` it is a short-lived peer's
 * (fresh identity, documents in memory unless `--data-dir` is given) that syncs with the peer at MA,
 * a running daemon for example. Without it, when a daemon runs on the data directory, it works
 * through that daemon (openThroughDaemon, found by its control socket); otherwise it is a Repo on the
 * data directory with no network at all (local-repo.ts).
 */
import { isValidAutomergeUrl } from '@automerge/automerge-repo'
import { daemonSyncAddresses } from '../control/client.ts'
import { createPeer } from '../node/peer.ts'
import { SYNC_PROTOCOL } from '../sync/constants.ts'
import { UsageError } from './io.ts'
import { openLocalRepo } from './local-repo.ts'
import { whenPeerLacks } from './remote-protocols.ts'
import { shortLivedPeerOptions } from './short-lived.ts'
import type { CliIO } from './io.ts'
import type { Docpeer } from '../node/peer.ts'
import type { AutomergeUrl, DocHandle, Repo, StorageId } from '@automerge/automerge-repo'
import type { Connection } from '@libp2p/interface'

export interface DocSession {
  /**
   * The short-lived peer of `--peer`; none for a local command.
   */
  peer?: Docpeer
  repo: Repo
  /**
   * The peer given by `--peer`, once sync with it is up.
   */
  remote?: Connection
  /**
   * The remote's automerge storage id, if it stores documents.
   */
  remoteStorageId?: StorageId
  /**
   * Resolves when the last connection to the peer of `--peer` closes.
   */
  remoteGone?: Promise<void>
  close(): Promise<void>
}

export interface DocSessionInit {
  dataDir?: string
  peer?: string
  signal: AbortSignal
  /**
   * The command's `--timeout` in ms (`signal` aborts then); libp2p's own dial timeouts are set to it.
   */
  timeout: number
}

export async function openDocSession (init: DocSessionInit, io: CliIO): Promise<DocSession> {
  if (init.peer == null) {
    if (init.dataDir == null) {
      throw new Error('a local doc command needs a data directory')
    }

    const addresses = await daemonSyncAddresses(init.dataDir, { signal: init.signal })

    if (addresses != null) {
      return openThroughDaemon(init, init.dataDir, addresses, io)
    }

    return openLocalRepo(init.dataDir)
  }

  return openPeerSession({ ...init, peer: init.peer }, io)
}

async function openPeerSession (init: DocSessionInit & { peer: string }, io: CliIO): Promise<DocSession> {
  const peer = await createPeer({
    dataDir: init.dataDir,
    dialDiscovered: false,
    ...shortLivedPeerOptions(init.timeout),
    // a session talks to the one peer it was given: no DHT to load or wait on
    dht: false
  })

  try {
    const repo = peer.repo

    if (repo == null) {
      throw new Error('the peer has no Repo')
    }

    const session: DocSession = { peer, repo, close: async () => { await peer.stop() } }
    session.remote = await syncWithPeer(peer, init.peer, init.signal)
    session.remoteStorageId = repo.peerMetadataByPeerId[session.remote.remotePeer.toString() as any]?.storageId
    const remotePeer = session.remote.remotePeer
    session.remoteGone = new Promise(resolve => {
      peer.libp2p.addEventListener('peer:disconnect', evt => {
        if (evt.detail.equals(remotePeer)) {
          resolve()
        }
      })
    })

    return session
  } catch (err) {
    await peer.stop()
    throw err
  }
}

/**
 * Dials the peer of `--peer` and waits for sync with it, or says at once that it does not serve
 * documents (identify lists no sync protocol: a daemon started with --no-serve-docs).
 */
async function syncWithPeer (peer: Docpeer, target: string, signal: AbortSignal): Promise<Connection> {
  const done = new AbortController()

  try {
    const connection = await peer.dial(target, { signal })
    const doesNotServe = (): Error => new Error(`${connection.remotePeer.toString()} does not serve documents (it does not speak ${SYNC_PROTOCOL}; was it started with --no-serve-docs?)`)
    // identify tells, or the sync stream's protocol negotiation, whichever comes first
    const lacks = whenPeerLacks(peer.libp2p, connection, [SYNC_PROTOCOL], done.signal).then(() => {
      throw doesNotServe()
    })

    // through the peer, not its adapter: the peer of --peer is a chosen peer, to which the share
    // policy offers this command's documents (src/access/)
    const synced = peer.syncWith(connection.remotePeer, { signal }).catch((err: any) => {
      throw err?.name === 'UnsupportedProtocolError' ? doesNotServe() : err
    })

    return await Promise.race([synced.then(() => connection), lacks])
  } catch (err: any) {
    if (err.name === 'InvalidMultiaddrError') {
      throw new UsageError(`--peer: ${err.message}`)
    }

    const reason = signal.aborted ? 'timed out' : err.message
    throw new Error(`cannot sync with ${target}: ${reason}`)
  } finally {
    done.abort()
  }
}

function sameHeads (a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a != null && a.length === b.length && [...a].sort().every((head, i) => head === [...b].sort()[i])
}

/**
 * Resolves once the remote peer reports having every change of `handle` (its heads in our sync
 * state match ours). This is what "the daemon has it" means before a short-lived peer exits.
 */
export async function waitForRemoteHeads (handle: DocHandle<unknown>, storageId: StorageId, signal: AbortSignal): Promise<void> {
  const done = (): boolean => sameHeads(handle.getSyncInfo(storageId)?.lastHeads, handle.heads())

  if (done()) {
    return
  }

  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (done()) {
        cleanup()
        resolve()
      }
    }
    const onAbort = (): void => {
      cleanup()
      reject(new Error('the remote peer did not confirm the change in time'))
    }
    const cleanup = (): void => {
      handle.off('remote-heads', check)
      handle.off('heads-changed', check)
      signal.removeEventListener('abort', onAbort)
    }

    handle.on('remote-heads', check)
    handle.on('heads-changed', check)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Makes sure what a command changed reached where it is kept: the remote peer's storage with
 * `--peer`, the local data directory otherwise.
 */
export async function persist (session: DocSession, handle: DocHandle<unknown>, signal: AbortSignal): Promise<void> {
  if (session.remote == null) {
    await session.repo.flush([handle.documentId])
    return
  }

  if (session.remoteStorageId == null) {
    throw new Error(`${session.remote.remotePeer.toString()} does not store documents (no storage id in its handshake), so the change may be lost when this command exits`)
  }

  await waitForRemoteHeads(handle, session.remoteStorageId, signal)
}

export function checkUrl (url: string | undefined): AutomergeUrl {
  if (url == null || !isValidAutomergeUrl(url)) {
    throw new UsageError(`"${url ?? ''}" is not an automerge URL (automerge:...)`)
  }

  return url as AutomergeUrl
}

/**
 * Without `--peer`, a daemon running on the data directory holds it (its datastore is locked): the
 * command then works through that daemon, as with `--peer` and the daemon's own address (a
 * short-lived peer with a fresh identity and documents in memory syncs with it over loopback, and
 * changes count as kept once the daemon's storage has them). With no daemon, the directory is
 * opened directly.
 */
async function openThroughDaemon (init: DocSessionInit, dataDir: string, addresses: string[], io: CliIO): Promise<DocSession> {
  if (addresses.length === 0) {
    throw new Error(`the daemon on ${dataDir} has no TCP or WebSocket address to sync through`)
  }

  let failure: Error | undefined

  for (const address of addresses) {
    try {
      return await openPeerSession({ ...init, dataDir: undefined, peer: address }, io)
    } catch (err: any) {
      failure = err
    }
  }

  throw new Error(`the daemon on ${dataDir} holds the data directory, but syncing with it failed: ${failure?.message ?? 'no address'}`)
}
