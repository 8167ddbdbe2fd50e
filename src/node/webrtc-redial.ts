/**
 * An explicit dial of a browser-to-browser WebRTC address (`.../p2p-circuit/webrtc/p2p/...`) is
 * tried once more when it times out.
 *
 * Why: in `@libp2p/webrtc` 6.0.x the dialing side creates an `init` data channel, and once the
 * peer connection is up it waits for that channel's `open` event before it upgrades. The answering
 * side upgrades as soon as its own end is connected, and its muxer closes the `init` channel at
 * once. When that close reaches the dialer before its channel opened (a busy page), `open` never
 * comes: the dialer waits until the dial's timeout, while the other side had the connection up
 * within a second. Seen in the browser suite under load and in a CI run ("initiator connected",
 * "wait for init channel to open", then "signal timed out" 5.6 s later). A second handshake
 * does not meet the same race.
 *
 * The discovery dialer already tries failed dials again; this covers `peer.dial()`,
 * `peer.syncWith()` and `docpeer dial`. Only a timeout of the dial itself is retried, never a
 * caller's abort or a refusal, and only once.
 */
import { WebRTC } from '@multiformats/multiaddr-matcher'
import type { AbortOptions, Connection, Libp2p, Logger } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export async function dialWebRTCOnceMore (libp2p: Libp2p, target: Multiaddr, log: Logger, options?: AbortOptions): Promise<Connection> {
  try {
    return await libp2p.dial(target, options)
  } catch (err: any) {
    if (!WebRTC.matches(target) || err?.name !== 'TimeoutError' || options?.signal?.aborted === true) {
      throw err
    }

    log('the WebRTC dial of %a timed out, trying once more', target)
    return libp2p.dial(target, options)
  }
}
