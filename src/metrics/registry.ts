/**
 * docpeer's own Prometheus metrics, beside libp2p's (`@libp2p/prometheus-metrics`, registered in
 * the same registry). They are read from a running node from the outside: the sync adapter's events
 * (`peer-candidate`, `peer-disconnected`, `message`, and `handshake-failed`, which the Repo ignores),
 * a wrapper around its `send`, the Repo's handles, the data directory and libp2p's addresses.
 * `src/sync` knows nothing of Prometheus.
 */
import { Counter, Gauge } from 'prom-client'
import { storedDocumentIds } from '../control/status.ts'
import type { Docpeer } from '../node/peer.ts'
import type { Message } from '@automerge/automerge-repo'
import type { Registry } from 'prom-client'

export const METRIC_NAMES = {
  syncPeers: 'docpeer_sync_peers',
  syncPeerEvents: 'docpeer_sync_peer_events_total',
  documents: 'docpeer_documents',
  syncMessages: 'docpeer_sync_messages_total',
  syncBytes: 'docpeer_sync_bytes_total',
  handshakeFailures: 'docpeer_sync_handshake_failures_total',
  relayReservations: 'docpeer_relay_reservations',
  connections: 'docpeer_connections'
} as const

function relayReservationCounts (peer: Docpeer): { held: number, served: number } {
  const relays = new Set<string>()

  for (const ma of peer.libp2p.getMultiaddrs()) {
    const text = ma.toString()
    const circuit = text.indexOf('/p2p-circuit')

    if (circuit > 0) {
      relays.add(text.slice(0, circuit))
    }
  }

  const relay = (peer.libp2p.services as Record<string, any>).relay
  return { held: relays.size, served: relay?.reservations?.size ?? 0 }
}

/**
 * Registers docpeer's metrics for `peer` in `registry`. Returns a function that stops counting
 * (removes the listeners and the `send` wrapper).
 */
export function observePeer (registry: Registry, peer: Docpeer): () => void {
  const registers = [registry]
  const adapter = peer.syncAdapter

  // eslint-disable-next-line no-new -- registered in `registry`, read through it
  new Gauge({
    name: METRIC_NAMES.syncPeers,
    help: 'automerge peers the libp2p sync adapter is up with',
    registers,
    collect () { this.set(adapter?.peers.length ?? 0) }
  })

  const peerEvents = new Counter({
    name: METRIC_NAMES.syncPeerEvents,
    help: 'sync peers that came up (up) and went away (down)',
    labelNames: ['event'],
    registers
  })

  // eslint-disable-next-line no-new -- registered in `registry`, read through it
  new Gauge({
    name: METRIC_NAMES.documents,
    help: 'documents of the Repo: loaded in memory, stored in the data directory',
    labelNames: ['state'],
    registers,
    async collect () {
      const handles = peer.repo == null ? [] : Object.values(peer.repo.handles)
      this.set({ state: 'loaded' }, handles.filter(handle => handle.isReady()).length)
      this.set({ state: 'stored' }, (await storedDocumentIds(peer.dataDir)).length)
    }
  })

  const messages = new Counter({
    name: METRIC_NAMES.syncMessages,
    help: 'automerge-repo messages over the libp2p sync protocol, by direction and message type',
    labelNames: ['direction', 'type'],
    registers
  })

  const bytes = new Counter({
    name: METRIC_NAMES.syncBytes,
    help: 'automerge payload bytes (the data field of sync messages) over the libp2p sync protocol, by direction; libp2p_data_transfer_bytes_total has the bytes on the wire per protocol',
    labelNames: ['direction'],
    registers
  })

  const handshakeFailures = new Counter({
    name: METRIC_NAMES.handshakeFailures,
    help: 'sync handshakes that failed (ours or the remote\'s half), by error name: TimeoutError, InvalidMessageError, PeerIdMismatchError, HandshakeRejectedError, ...',
    labelNames: ['reason'],
    registers
  })

  // eslint-disable-next-line no-new -- registered in `registry`, read through it
  new Gauge({
    name: METRIC_NAMES.relayReservations,
    help: 'circuit relay v2 reservations: held on relays (this peer is reachable through them), served to others (server role)',
    labelNames: ['side'],
    registers,
    collect () {
      const counts = relayReservationCounts(peer)
      this.set({ side: 'held' }, counts.held)
      this.set({ side: 'served' }, counts.served)
    }
  })

  // eslint-disable-next-line no-new -- registered in `registry`, read through it
  new Gauge({
    name: METRIC_NAMES.connections,
    help: 'open libp2p connections, by whether they are direct or relayed',
    labelNames: ['kind'],
    registers,
    collect () {
      const connections = peer.libp2p.getConnections()
      const relayed = connections.filter(connection => !connection.direct).length
      this.set({ kind: 'direct' }, connections.length - relayed)
      this.set({ kind: 'relayed' }, relayed)
    }
  })

  if (adapter == null) {
    return () => {}
  }

  const count = (direction: 'received' | 'sent', message: Message): void => {
    messages.inc({ direction, type: String(message?.type ?? 'unknown') })
    const data = (message as { data?: Uint8Array })?.data
    bytes.inc({ direction }, data?.byteLength ?? 0)
  }
  const onMessage = (message: Message): void => { count('received', message) }
  const onUp = (): void => { peerEvents.inc({ event: 'up' }) }
  const onDown = (): void => { peerEvents.inc({ event: 'down' }) }
  const onHandshakeFailure = (event: { reason?: string }): void => { handshakeFailures.inc({ reason: String(event?.reason ?? 'Error') }) }

  adapter.on('message', onMessage)
  adapter.on('peer-candidate', onUp)
  adapter.on('peer-disconnected', onDown)
  // not one of automerge-repo's NetworkAdapterEvents, so not in the adapter's event types
  ;(adapter as any).on('handshake-failed', onHandshakeFailure)

  // the Repo calls send() through the property on every message, so a wrapper sees them all
  const send = adapter.send
  adapter.send = (message: Message): void => {
    count('sent', message)
    send.call(adapter, message)
  }

  return () => {
    adapter.off('message', onMessage)
    adapter.off('peer-candidate', onUp)
    adapter.off('peer-disconnected', onDown)
    ;(adapter as any).off('handshake-failed', onHandshakeFailure)
    adapter.send = send
  }
}
