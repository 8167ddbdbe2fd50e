/**
 * `docpeer daemon`: a long-running peer on fixed default ports, printing its peer id and addresses
 * (again when they change) and the peers that connect and disconnect, until SIGINT or SIGTERM.
 */
import { createPeer } from '../../node/peer.ts'
import { checkMultiaddrs, parseCommandArgs } from '../args.ts'
import { accessMode, bridgeAddress, readSwarmKey } from '../daemon-access.ts'
import { DEFAULT_DATA_DIR, DEFAULT_TCP_PORT, DEFAULT_WS_PORT, DEFAULT_WSS_PORT } from '../defaults.ts'
import { EXIT_OK, UsageError } from '../io.ts'
import type { PeerRole } from '../../config/types.ts'
import type { Docpeer } from '../../node/peer.ts'
import type { CliIO } from '../io.ts'

export const DAEMON_HELP = `Usage: docpeer daemon [options]

Runs a peer until SIGINT or SIGTERM. Prints its peer id, then one dialable multiaddr per line (again
whenever they change), and a line for every peer that connects or disconnects.

Options:
  --role daemon|server  daemon: TCP + WebSocket, mDNS LAN discovery (default)
                        server: TCP + WebSocket (+ WSS with --tls-*), circuit relay v2 server
  --listen MA           listen address, repeatable; replaces the default listeners
                        (defaults: /ip4/0.0.0.0/tcp/${DEFAULT_TCP_PORT}, /ip4/0.0.0.0/tcp/${DEFAULT_WS_PORT}/ws,
                        and /ip4/0.0.0.0/tcp/${DEFAULT_WSS_PORT}/tls/ws for a server with a certificate)
  --host IP             host of the default listeners (default 0.0.0.0)
  --announce MA         address to announce instead of the listen addresses, repeatable
  --bootstrap MA        peer to dial at start and keep redialing, repeatable
  --data-dir DIR        where the key and data live (default ${DEFAULT_DATA_DIR})
  --tls-cert FILE       PEM certificate for the WSS listener (server role)
  --tls-key FILE        PEM private key for the WSS listener (server role)
  --no-mdns             turn LAN discovery off
  --helia               run helia: serve and fetch IPFS blocks over bitswap (blocks in DIR/blocks)
  --no-serve-docs       no automerge Repo: do not keep or share documents (by default the daemon
                        keeps documents in DIR/automerge and syncs them with every peer that asks)
  --automerge-ws [HOST:]PORT  also serve automerge's standard WebSocket sync (same Repo), so apps
                        using automerge's WebSocket client adapter sync with this daemon's peers;
                        on HOST, else --host, else 127.0.0.1. Off loopback it needs a token in the
                        URL (printed; made up unless --automerge-ws-token TOKEN gives one)
  --access MODE         open (default: anyone may read and write a document without an access
                        list) or restricted (only what you shared: docpeer doc share)
  --swarm-key FILE      private network: only peers with this key connect (docpeer swarm-key new)
  --json                print JSON lines instead of text
  -h, --help            show this help`

const ROLES: readonly PeerRole[] = ['daemon', 'server']

export async function daemonCommand (args: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs(args, {
    role: { type: 'string' },
    listen: { type: 'string', multiple: true },
    host: { type: 'string' },
    announce: { type: 'string', multiple: true },
    bootstrap: { type: 'string', multiple: true },
    'data-dir': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    mdns: { type: 'boolean' },
    helia: { type: 'boolean' },
    'serve-docs': { type: 'boolean' },
    'automerge-ws': { type: 'string' },
    'automerge-ws-token': { type: 'string' },
    access: { type: 'string' },
    'swarm-key': { type: 'string' },
    json: { type: 'boolean' }
  })

  if (values.help === true) {
    io.out(DAEMON_HELP)
    return EXIT_OK
  }

  const role = (values.role ?? 'daemon') as PeerRole

  if (!ROLES.includes(role)) {
    throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got "${role}"`)
  }

  const tlsCert = values['tls-cert'] as string | undefined
  const tlsKey = values['tls-key'] as string | undefined

  if ((tlsCert == null) !== (tlsKey == null)) {
    throw new UsageError('--tls-cert and --tls-key go together')
  }

  if (tlsCert != null && role !== 'server') {
    throw new UsageError('--tls-cert and --tls-key need --role server')
  }

  const json = values.json === true
  const serveDocs = values['serve-docs'] !== false
  const bridgeAt = bridgeAddress(values['automerge-ws'] as string | undefined, values.host as string | undefined, values['automerge-ws-token'] as string | undefined)
  const access = accessMode(values.access as string | undefined)
  const swarmKey = await readSwarmKey(values['swarm-key'] as string | undefined)

  if (bridgeAt != null && !serveDocs) {
    throw new UsageError('--automerge-ws needs the Repo: drop --no-serve-docs')
  }

  // the bridge listens before the peer starts, so a taken port fails before anything else runs
  const bridge = bridgeAt == null
    ? undefined
    // imported only when asked for: it loads the ws server and automerge's WebSocket adapter
    : await (await import('../../bridge/index.ts')).automergeWebSocketBridge(bridgeAt)

  const peer = await createPeer({
    repo: serveDocs ? { network: bridge == null ? [] : [bridge.adapter] } : false,
    role,
    dataDir: String(values['data-dir'] ?? DEFAULT_DATA_DIR),
    listen: checkMultiaddrs('listen', values.listen as string[] | undefined),
    host: values.host as string | undefined,
    ports: { tcp: DEFAULT_TCP_PORT, ws: DEFAULT_WS_PORT, wss: DEFAULT_WSS_PORT },
    announce: checkMultiaddrs('announce', values.announce as string[] | undefined),
    bootstrap: checkMultiaddrs('bootstrap', values.bootstrap as string[] | undefined),
    mdns: values.mdns as boolean | undefined,
    helia: values.helia === true,
    tls: tlsCert != null && tlsKey != null ? { cert: tlsCert, key: tlsKey } : undefined,
    access,
    swarmKey
  })

  const report = reporter(io, json)
  report.started(peer)

  if (bridge != null) {
    report.bridge(bridge.url)
  }

  const onAddresses = (): void => { report.addresses(peer) }
  const onOpen = (evt: CustomEvent<any>): void => { report.connection('connect', evt.detail.remotePeer.toString(), evt.detail.remoteAddr.toString()) }
  const onClose = (evt: CustomEvent<any>): void => { report.connection('disconnect', evt.detail.remotePeer.toString(), evt.detail.remoteAddr.toString()) }

  peer.libp2p.addEventListener('self:peer:update', onAddresses)
  peer.libp2p.addEventListener('connection:open', onOpen)
  peer.libp2p.addEventListener('connection:close', onClose)
  // connections opened while the peer started (bootstrap peers are dialed at once)
  peer.libp2p.getConnections().forEach(connection => {
    report.connection('connect', connection.remotePeer.toString(), connection.remoteAddr.toString())
  })

  if (!io.signal.aborted) {
    await new Promise(resolve => io.signal.addEventListener('abort', resolve, { once: true }))
  }

  peer.libp2p.removeEventListener('self:peer:update', onAddresses)
  peer.libp2p.removeEventListener('connection:open', onOpen)
  peer.libp2p.removeEventListener('connection:close', onClose)

  report.stopping()
  await peer.stop()
  await bridge?.close()
  return EXIT_OK
}

interface Reporter {
  started(peer: Docpeer): void
  addresses(peer: Docpeer): void
  connection(event: 'connect' | 'disconnect', peerId: string, remoteAddr: string): void
  bridge(url: string): void
  stopping(): void
}

/**
 * Prints what the daemon does, as text or JSON lines. Addresses are printed only when the set
 * changes: libp2p emits `self:peer:update` for protocol and metadata changes too.
 */
function reporter (io: CliIO, json: boolean): Reporter {
  let printed = ''
  // libp2p lists an address twice when two listeners report it (WebRTC Direct does)
  const multiaddrsOf = (peer: Docpeer): string[] => [...new Set(peer.libp2p.getMultiaddrs().map(ma => ma.toString()))]

  return {
    started (peer) {
      const multiaddrs = multiaddrsOf(peer)
      printed = multiaddrs.join('\n')

      if (json) {
        io.out(JSON.stringify({ event: 'started', role: peer.role, peerId: peer.peerId.toString(), multiaddrs }))
        return
      }

      io.out(`docpeer ${peer.role} started, peer id ${peer.peerId.toString()}`)
      io.out('listening on:')
      multiaddrs.forEach(ma => { io.out(ma) })
    },
    addresses (peer) {
      const multiaddrs = multiaddrsOf(peer)
      const current = multiaddrs.join('\n')

      if (current === printed) {
        return
      }

      printed = current

      if (json) {
        io.out(JSON.stringify({ event: 'addresses', multiaddrs }))
        return
      }

      io.out('addresses changed, now listening on:')
      multiaddrs.forEach(ma => { io.out(ma) })
    },
    connection (event, peerId, remoteAddr) {
      if (json) {
        io.out(JSON.stringify({ event, peerId, remoteAddr }))
        return
      }

      io.out(`${event === 'connect' ? 'connected' : 'disconnected'} ${peerId} ${remoteAddr}`)
    },
    bridge (url) {
      if (json) {
        io.out(JSON.stringify({ event: 'automerge-ws', url }))
        return
      }

      io.out(`automerge WebSocket sync on ${url}`)
    },
    stopping () {
      if (json) {
        io.out(JSON.stringify({ event: 'stopping' }))
        return
      }

      io.out('stopping')
    }
  }
}
