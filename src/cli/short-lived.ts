/**
 * The options of the short-lived peers of `dial`, `doc --peer` and `block get --peer`: no listener
 * (never a collision with a daemon on the same host), no discovery, and libp2p's per-address dial
 * timeout (6 s by default, which cut a dial to a peer that never answers short of the 10 s `--timeout`
 * the help promised, with "EncryptionFailedError: The operation was aborted") raised to the command's
 * timeout, so the command's own deadline is the one that applies and its message says it timed out.
 */
import type { DocpeerInit } from '../node/peer.ts'

export function shortLivedPeerOptions (timeout: number): DocpeerInit {
  return {
    listen: [],
    mdns: false,
    libp2p: {
      connectionManager: {
        dialTimeout: timeout,
        addressDialTimeout: timeout
      }
    }
  }
}
