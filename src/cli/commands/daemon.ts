/**
 * `docpeer daemon`: a long-running peer on fixed default ports, printing its peer id and addresses
 * (again when they change) and the peers that connect and disconnect, until SIGINT or SIGTERM.
 */
import { keepStoppedWebRTCDirectListeners } from '../../config/ice-udp-mux-policy.ts'
import { createPeer } from '../../node/peer.ts'
import { checkHost, parseCommandArgs } from '../args.ts'
import { accessMode, bridgeAddress, readSwarmKey } from '../daemon-access.ts'
import { parseMetricsAddress, prepareDaemonExtras } from '../daemon-extras.ts'
import { DEFAULT_DATA_DIR, DEFAULT_TCP_PORT, DEFAULT_WEBRTC_DIRECT_PORT, DEFAULT_WSS_PORT, DEFAULT_WS_PORT } from '../defaults.ts'
import { DAEMON_HELP } from '../help.ts'
import { ICE_OPTIONS, iceServersFromArgs } from '../ice-args.ts'
import { EXIT_OK, UsageError } from '../io.ts'
import { explainListenError } from '../listen-errors.ts'
import { checkMultiaddrs } from '../multiaddr-args.ts'
import { reachabilityReporter } from '../reachability-report.ts'
import type { PeerRole } from '../../config/types.ts'
import type { Docpeer } from '../../node/peer.ts'
import type { CliIO } from '../io.ts'

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
    metrics: { type: 'string' },
    control: { type: 'boolean' },
    'automerge-ws-token': { type: 'string' },
    access: { type: 'string' },
    'swarm-key': { type: 'string' },
    json: { type: 'boolean' },
    ...ICE_OPTIONS
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

  const host = checkHost(values.host as string | undefined)
  const json = values.json === true
  const iceServers = iceServersFromArgs(values)
  const serveDocs = values['serve-docs'] !== false
  const bridgeAt = bridgeAddress(values['automerge-ws'] as string | undefined, host, values['automerge-ws-token'] as string | undefined)
  const access = accessMode(values.access as string | undefined)
  const swarmKey = await readSwarmKey(values['swarm-key'] as string | undefined)

  if (bridgeAt != null && !serveDocs) {
    throw new UsageError('--automerge-ws needs the Repo: drop --no-serve-docs')
  }

  const metrics = values.metrics == null ? undefined : parseMetricsAddress(values.metrics as string)
  const report = reporter(io, json)

  // the bridge listens before the peer starts, so a taken port fails before anything else runs
  const bridge = bridgeAt == null
    ? undefined
    // imported only when asked for: it loads the ws server and automerge's WebSocket adapter
    : await (await import('../../bridge/index.ts')).automergeWebSocketBridge({ ...bridgeAt, onRefused: client => { report.bridgeRefused(client) } })

  // bin/docpeer.js ends this process with process.exit(), so a stopped WebRTC Direct listener can be
  // kept until then: freed, a browser's late dial could abort the stop (ice-udp-mux-policy.ts)
  keepStoppedWebRTCDirectListeners()

  const extras = await prepareDaemonExtras({ control: values.control !== false, metrics })
  const peer = await createPeer({
    libp2p: extras.libp2p,
    repo: serveDocs ? { network: bridge == null ? [] : [bridge.adapter] } : false,
    role,
    dataDir: String(values['data-dir'] ?? DEFAULT_DATA_DIR),
    listen: checkMultiaddrs('listen', values.listen as string[] | undefined),
    host,
    ports: { tcp: DEFAULT_TCP_PORT, ws: DEFAULT_WS_PORT, wss: DEFAULT_WSS_PORT, webrtcDirect: DEFAULT_WEBRTC_DIRECT_PORT },
    iceServers,
    announce: checkMultiaddrs('announce', values.announce as string[] | undefined),
    bootstrap: checkMultiaddrs('bootstrap', values.bootstrap as string[] | undefined, true),
    mdns: values.mdns as boolean | undefined,
    helia: values.helia === true,
    tls: tlsCert != null && tlsKey != null ? { cert: tlsCert, key: tlsKey } : undefined,
    access,
    swarmKey
  }).catch(async err => { await extras.close(); return explainListenError(err) })
  const attached = await extras.attach(peer).catch(async err => {
    await extras.close()
    await peer.stop()
    throw err
  })

  const reportReachability = reachabilityReporter(io, json, role)
  report.started(peer)
  reportReachability(peer)

  if (bridge != null) {
    report.bridge(bridge.url)
  }

  report.extras(attached)

  const onAddresses = (): void => {
    report.addresses(peer)
    reportReachability(peer)
  }
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
  await extras.close()
  await peer.stop()
  await bridge?.close()
  return EXIT_OK
}

interface Reporter {
  started(peer: Docpeer): void
  addresses(peer: Docpeer): void
  connection(event: 'connect' | 'disconnect', peerId: string, remoteAddr: string): void
  bridge(url: string): void
  bridgeRefused(client: { senderId?: string, reason: string }): void
  extras(where: { controlSocket?: string, metricsUrl?: string }): void
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
    bridgeRefused ({ senderId, reason }) {
      if (json) {
        io.out(JSON.stringify({ event: 'automerge-ws-refused', senderId, reason }))
        return
      }

      io.out(`automerge WebSocket client ${senderId ?? '(no id)'} closed: ${reason}`)
    },
    extras ({ controlSocket, metricsUrl }) {
      if (json) {
        if (controlSocket != null) { io.out(JSON.stringify({ event: 'control', socket: controlSocket })) }
        if (metricsUrl != null) { io.out(JSON.stringify({ event: 'metrics', url: metricsUrl })) }
        return
      }

      if (controlSocket != null) { io.out(`control socket ${controlSocket}`) }
      if (metricsUrl != null) { io.out(`metrics on ${metricsUrl}`) }
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
