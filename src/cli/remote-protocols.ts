/**
 * Telling at once that a peer does not serve what a command asks of it. Without this, `doc show
 * --peer` at a `--no-serve-docs` daemon waited out the sync handshake's 10 s and said only "aborted
 * due to timeout", and `block get --peer` at a peer without helia waited the whole `--timeout`.
 * identify tells us every protocol the remote handles a few milliseconds after the connection
 * opens; a remote that lists none of the ones a command needs cannot serve it.
 */
import type { Connection, Libp2p } from '@libp2p/interface'

/**
 * Resolves when identify shows that the peer of `connection` handles none of `protocols`; never
 * resolves otherwise (race it with the real work). `signal` removes the listener.
 */
export async function whenPeerLacks (libp2p: Libp2p, connection: Connection, protocols: string[], signal: AbortSignal): Promise<void> {
  const lacks = (listed: string[]): boolean => listed.length > 0 && protocols.every(protocol => !listed.includes(protocol))

  await new Promise<void>(resolve => {
    const onIdentify = (evt: CustomEvent<{ peerId: Connection['remotePeer'], protocols: string[] }>): void => {
      if (evt.detail.peerId.equals(connection.remotePeer) && lacks(evt.detail.protocols)) {
        cleanup()
        resolve()
      }
    }
    const cleanup = (): void => {
      libp2p.removeEventListener('peer:identify', onIdentify as any)
      signal.removeEventListener('abort', cleanup)
    }

    libp2p.addEventListener('peer:identify', onIdentify as any)
    signal.addEventListener('abort', cleanup, { once: true })

    // identify may have finished before we listened: the peer store then has its protocols
    libp2p.peerStore.get(connection.remotePeer).then(peer => {
      if (lacks(peer.protocols)) {
        cleanup()
        resolve()
      }
    }, () => {})
  })
}
