/**
 * What `docpeer daemon` runs beside its peer: the control socket (status, peers, connect,
 * disconnect, and the doc commands going through the daemon) and, with `--metrics`, the Prometheus
 * endpoint. Both are set up in two steps: before the peer starts (libp2p options; the metrics port
 * is taken first, so a busy port fails before anything else runs) and once it runs.
 */
import { UsageError } from './io.ts'
import type { Libp2pOverrides } from '../config/common.ts'
import type { ControlServer } from '../control/server.ts'
import type { MetricsServer } from '../metrics/index.ts'
import type { Docpeer } from '../node/peer.ts'

export interface MetricsAddress {
  host: string
  port: number
}

/**
 * `--metrics PORT` (loopback) or `--metrics HOST:PORT` (`[::1]:PORT` for IPv6). A host other than
 * loopback is used only when typed: the user asked for it.
 */
export function parseMetricsAddress (value: string): MetricsAddress {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(value.trim())
  const port = Number(match?.[2])

  if (match == null || !Number.isInteger(port) || port > 65535) {
    throw new UsageError(`--metrics must be PORT or HOST:PORT (e.g. 127.0.0.1:9464), got "${value}"`)
  }

  const host = match[1] == null ? '127.0.0.1' : match[1].replace(/^\[|\]$/g, '')
  return { host, port }
}

export interface DaemonExtrasInit {
  control: boolean
  metrics?: MetricsAddress
}

export interface DaemonExtras {
  /**
   * Options to pass to createPeer's `libp2p`.
   */
  libp2p: Libp2pOverrides
  /**
   * Starts what needs the running peer; returns lines to print.
   */
  attach(peer: Docpeer): Promise<{ controlSocket?: string, metricsUrl?: string }>
  close(): Promise<void>
}

export async function prepareDaemonExtras (init: DaemonExtrasInit): Promise<DaemonExtras> {
  const libp2p: Libp2pOverrides = {}
  let metricsServer: MetricsServer | undefined
  let controlServer: ControlServer | undefined
  let detachMetrics: (() => void) | undefined
  let observe: ((peer: Docpeer) => () => void) | undefined

  if (init.metrics != null) {
    // only with --metrics: @libp2p/prometheus-metrics and prom-client stay unloaded otherwise
    const { createMetrics, observePeer, startMetricsServer } = await import('../metrics/index.ts')
    const { registry, libp2p: metrics } = createMetrics()
    libp2p.metrics = metrics
    metricsServer = await startMetricsServer({ ...init.metrics, registry })
    observe = peer => observePeer(registry, peer)
  }

  const control = init.control ? await import('../control/status.ts') : undefined

  if (control != null) {
    libp2p.services = { controlProbe: control.controlProbe() }
  }

  const close = async (): Promise<void> => {
    detachMetrics?.()
    await controlServer?.close()
    await metricsServer?.close()
  }

  return {
    libp2p,
    attach: async peer => {
      const startedAt = Date.now()

      detachMetrics = observe?.(peer)

      if (control != null && peer.dataDir != null) {
        const [{ startControlServer }, { controlMethods }] = await Promise.all([
          import('../control/server.ts'),
          import('../control/handlers.ts')
        ])
        const probe = (peer.libp2p.services as Record<string, any>).controlProbe
        controlServer = await startControlServer({
          dataDir: peer.dataDir,
          methods: controlMethods({ peer, probe, startedAt }),
          log: peer.libp2p.logger.forComponent('docpeer:control')
        })
      }

      return { controlSocket: controlServer?.path, metricsUrl: metricsServer?.url }
    },
    close
  }
}
