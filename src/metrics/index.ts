/**
 * Prometheus metrics of a docpeer node: libp2p's (`@libp2p/prometheus-metrics`, passed to libp2p
 * as its `metrics` option) and docpeer's own (registry.ts), in one registry, served over HTTP
 * (server.ts). Imported only when metrics are asked for.
 */
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { Registry } from 'prom-client'
import type { Metrics } from '@libp2p/interface'

export { observePeer, METRIC_NAMES } from './registry.ts'
export { startMetricsServer } from './server.ts'
export type { MetricsServer, MetricsServerInit } from './server.ts'

export interface DocpeerMetrics {
  registry: Registry
  /**
   * libp2p's `metrics` option
   */
  libp2p(components: any): Metrics
}

export function createMetrics (): DocpeerMetrics {
  const registry = new Registry()
  // preserveExistingMetrics: without it the module clears prom-client's global registry, which
  // belongs to whoever else runs in this process
  return { registry, libp2p: prometheusMetrics({ registry, preserveExistingMetrics: true }) }
}
