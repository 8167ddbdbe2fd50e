/**
 * Identify on a new connection, once the work that should come first is done.
 *
 * libp2p's identify runs the moment a connection opens, on both ends, and what it sets off (peer
 * store writes, a signed peer record to check, then every topology it tells: gossipsub, the DHT,
 * relay reservations, AutoNAT) shares the event loop with whatever else the connection is for.
 * For docpeer that is the sync handshake: dial to sync-ready on both sides took 34-42 ms with
 * identify at once, 21-27 ms with identify after the handshake (bench w4, TCP + noise + yamux,
 * base and new alternating in the same minutes, BENCHMARKS.md ninth session). The services
 * identify tells start a handshake later; nothing is skipped.
 *
 * `deferredIdentify(gate)` is `identify()` whose run on a new connection waits for
 * `gate.wait(connection)`; a gate with nothing to wait for lets it run at once, as libp2p's own.
 */
import { identify } from '@libp2p/identify'
import type { Identify, IdentifyComponents, IdentifyInit } from '@libp2p/identify'
import type { Connection } from '@libp2p/interface'

export interface IdentifyGate {
  /**
   * Resolves when identify may run on `connection`. Never rejects.
   */
  wait(connection: Connection): Promise<void>
}

export function deferredIdentify (gate: IdentifyGate, init: Omit<IdentifyInit, 'runOnConnectionOpen'> = {}): (components: IdentifyComponents) => Identify {
  const create = identify({ ...init, runOnConnectionOpen: false })

  return components => {
    const service = create(components)

    // as libp2p's identify does with runOnConnectionOpen, for the node's whole life
    components.events.addEventListener('connection:open', evt => {
      const connection = evt.detail

      gate.wait(connection)
        .then(async () => {
          if (connection.status === 'open') {
            await service.identify(connection)
          }
        })
        // a failed identify is logged by the service; libp2p's own run ignores it the same way
        .catch(() => {})
    })

    return service
  }
}
