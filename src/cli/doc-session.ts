/**
 * The peer a `docpeer doc ...` command works through. With `--peer MA` it is short-lived (fresh
 * identity, documents in memory unless `--data-dir` is given) and syncs with the peer at MA, a
 * running daemon for example. Without it, it opens the data directory, which must not be in use by
 * a running daemon.
 */
import { isValidAutomergeUrl } from '@automerge/automerge-repo'
import { createPeer } from '../node/peer.ts'
import { UsageError } from './io.ts'
import type { CliIO } from './io.ts'
import type { Docpeer } from '../node/peer.ts'
import type { AutomergeUrl, DocHandle, Repo, StorageId } from '@automerge/automerge-repo'
import type { Connection } from '@libp2p/interface'

export interface DocSession {
  peer: Docpeer
  repo: Repo
  /**
   * The peer given by `--peer`, once sync with it is up.
   */
  remote?: Connection
  /**
   * The remote's automerge storage id, if it stores documents.
   */
  remoteStorageId?: StorageId
  close(): Promise<void>
}

export interface DocSessionInit {
  dataDir?: string
  peer?: string
  signal: AbortSignal
}

export async function openDocSession (init: DocSessionInit, io: CliIO): Promise<DocSession> {
  const peer = await createPeer({
    dataDir: init.dataDir,
    listen: [],
    mdns: false,
    dialDiscovered: false,
    // a session talks to the one peer it was given: no DHT to load or wait on
    dht: false
  })

  try {
    const repo = peer.repo

    if (repo == null) {
      throw new Error('the peer has no Repo')
    }

    const session: DocSession = { peer, repo, close: async () => { await peer.stop() } }

    if (init.peer != null) {
      try {
        session.remote = await peer.syncWith(init.peer, { signal: init.signal })
      } catch (err: any) {
        if (err.name === 'InvalidMultiaddrError') {
          throw new UsageError(`--peer: ${err.message}`)
        }

        throw new Error(`cannot sync with ${init.peer}: ${err.message}`)
      }

      session.remoteStorageId = repo.peerMetadataByPeerId[session.remote.remotePeer.toString() as any]?.storageId
    }

    return session
  } catch (err) {
    await peer.stop()
    throw err
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
