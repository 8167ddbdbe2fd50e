/**
 * Dialing a peer by its peer id alone. libp2p looks the peer's addresses up once (peer store, then
 * peer routing) and fails with `NoValidAddressesError` when that finds none. With the DHT, one
 * lookup is not enough right after start: a DHT client that has just connected to its servers
 * does not have them in its routing table until kad-dht has checked them, and a lookup before
 * that asks nobody (seen as a failed dial 58 ms after the servers were connected; the same lookup
 * a moment later found the peer). So a failed lookup is tried again for a short while.
 */
import type { AbortOptions, Connection, Libp2p, PeerId } from '@libp2p/interface'

/**
 * Waits between lookups, in ms: about 3 s in all, while a new DHT client's routing table fills.
 */
export const DIAL_BY_ID_RETRIES = [200, 400, 800, 1600]

export async function dialById (libp2p: Libp2p, peer: PeerId, options: AbortOptions = {}): Promise<Connection> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await libp2p.dial(peer, options)
    } catch (err: any) {
      // other failures (the peer refused, a timeout, an abort) are final
      if (err?.name !== 'NoValidAddressesError' || libp2p.services.dht == null) {
        throw err
      }

      if (attempt >= DIAL_BY_ID_RETRIES.length) {
        err.message = `No address is known for ${peer.toString()}: it is not in the peer store, and ${attempt + 1} DHT lookups over ${DIAL_BY_ID_RETRIES.reduce((a, b) => a + b, 0) / 1000} s found none (is it connected to a server of this network?)`
        throw err
      }

      await sleep(DIAL_BY_ID_RETRIES[attempt], options.signal)
    }
  }
}

async function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted()

  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
