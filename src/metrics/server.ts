/**
 * The Prometheus endpoint of `docpeer daemon --metrics HOST:PORT`: GET /metrics answers with the
 * registry's text exposition; everything else is 404. Plain node:http, no framework.
 */
import { createServer } from 'node:http'
import type { Logger } from '@libp2p/interface'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'

export interface MetricsServerInit {
  host: string
  port: number
  registry: Registry
  log?: Logger
}

export interface MetricsServer {
  /**
   * http://host:port/metrics
   */
  url: string
  port: number
  close(): Promise<void>
}

/**
 * Starts listening; rejects with a clear message when the port is taken or the host is not one of
 * this machine's addresses.
 */
export async function startMetricsServer (init: MetricsServerInit): Promise<MetricsServer> {
  const { registry, log } = init
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]

    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n')
      return
    }

    registry.metrics()
      .then(text => { res.writeHead(200, { 'content-type': registry.contentType }).end(text) })
      .catch((err: any) => {
        log?.error('could not collect metrics - %e', err)
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`could not collect metrics: ${String(err?.message ?? err)}\n`)
      })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: any) => {
      reject(new Error(`cannot serve metrics on ${init.host}:${init.port}: ${err.message}`))
    })
    server.listen(init.port, init.host, () => { resolve() })
  })

  const { port } = server.address() as AddressInfo
  const host = init.host.includes(':') ? `[${init.host}]` : init.host

  return {
    url: `http://${host}:${port}/metrics`,
    port,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  }
}
