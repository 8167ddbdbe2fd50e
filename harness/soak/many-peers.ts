/**
 * Scenario 5: many peers through one server. N daemon peers (in this process) connect only to one
 * server-role peer (its own process, so its memory is its own), D of them create a document each,
 * every peer opens every document through the server and writes its own key into each; done when
 * every peer sees every key of every document.
 *
 * Figures: time from the first dial to convergence, and the server's heap and RSS growth per
 * connected peer (after garbage collection, from before the peers connected to after they
 * converged).
 */
import { crashCounter, loopbackPeer, sleep, waitFor } from '../peers.ts'
import { ChildPeer } from './child-peer.ts'
import type { Docpeer } from '../../src/index.ts'
import type { AutomergeUrl, DocHandle } from '@automerge/automerge-repo'

export interface ManyPeersOptions {
  peers: number
  docs?: number
  /** the server's per-host inbound connection rate: every peer here comes from 127.0.0.1 */
  inboundConnectionThreshold?: number
  progress?(line: string): void
}

export interface ManyPeersResult {
  peers: number
  docs: number
  converged: boolean
  /** keys missing when the wait ended (0 when converged) */
  missing: number
  dialRetries: number
  findRetries: number
  /** connections to the server that closed under the peers (each redialed by libp2p) */
  disconnects: number
  crashes: number
  startPeersMs: number
  convergeMs: number
  serverConnections: number
  serverSyncPeers: number
  serverHeapBefore: number
  serverHeapAfter: number
  serverRssBefore: number
  serverRssAfter: number
  heapPerPeer: number
  rssPerPeer: number
  durationMs: number
}

type SharedDoc = Record<string, boolean>

export async function runManyPeers (options: ManyPeersOptions): Promise<ManyPeersResult> {
  const progress = options.progress ?? (() => {})
  const count = options.peers
  const docCount = Math.min(options.docs ?? 5, count)
  const crashes = crashCounter()
  const started = Date.now()
  const server = await ChildPeer.start({ role: 'server', inboundConnectionThreshold: options.inboundConnectionThreshold ?? 100, maxConnections: count * 2 + 50 })
  const serverAddr = server.addrs[0]
  const clients: Docpeer[] = []
  let dialRetries = 0
  let findRetries = 0
  let monitor: ReturnType<typeof setInterval> | undefined

  try {
    const before = await server.request('memory')

    const t0 = Date.now()
    // a few at a time: starting a node is CPU-bound
    for (let i = 0; i < count; i += 5) {
      // the server is each peer's bootstrap peer, as in a real deployment: tagged keep-alive, so
      // libp2p redials it with backoff when the connection drops (a starved event loop misses
      // libp2p's connection-monitor pings, and the connection is closed)
      clients.push(...await Promise.all(Array.from({ length: Math.min(5, count - i) }, async () => loopbackPeer({ bootstrap: [serverAddr] }))))
    }
    const startPeersMs = Date.now() - t0
    progress(`many-peers: ${count} peers started in ${startPeersMs} ms`)

    const seen: { disconnects: number, handles?: Array<Array<DocHandle<SharedDoc>>> } = { disconnects: 0 }
    const missing = (): number => (seen.handles ?? []).reduce((n, perClient) => n + perClient.reduce((m, h) => m + (count - Object.keys(h.doc() ?? {}).length), 0), 0)
    const serverId = server.peerId
    for (const client of clients) {
      client.libp2p.addEventListener('peer:disconnect', evt => {
        if (evt.detail.toString() === serverId) {
          seen.disconnects++
        }
      })
    }

    const t1 = Date.now()
    await Promise.all(clients.map(async client => {
      for (let attempt = 0; ; attempt++) {
        try {
          await client.syncWith(serverAddr, { signal: AbortSignal.timeout(20_000) })
          return
        } catch (err) {
          if (attempt >= 10) {
            throw err
          }

          dialRetries++
          await sleep(500 + Math.random() * 1000)
        }
      }
    }))
    progress(`many-peers: all connected in ${Date.now() - t1} ms (${dialRetries} retried dials)`)
    monitor = setInterval(() => {
      server.request('stats').then(stats => {
        progress(`many-peers: ${seen.handles == null ? '' : `${missing()} keys missing, `}server ${JSON.stringify(stats)}, peer connections ${clients.reduce((n, c) => n + c.libp2p.getConnections().length, 0)}, ${seen.disconnects} disconnects`)
      }, () => {})
    }, 5_000)

    // not empty: an empty document reaching the hub changes its heads without a 'change' event in
    // automerge-repo 2.5.6, and the hub does not forward it (see TOOLCHAIN.md)
    const urls: AutomergeUrl[] = clients.slice(0, docCount).map((client, i) => client.repo!.create<SharedDoc>({ [`p${i}`]: true }).url)

    // a link is shared once its document is on the server: a peer that asks earlier is told the
    // document is unavailable, and automerge-repo keeps that answer for the handle
    await Promise.all(urls.map(async url => {
      await waitFor(async () => (await server.request('doc', { url }).catch(() => ({ doc: null }))).doc != null, 30_000, `the server to hold ${url}`, 100)
    }))

    const handles = await Promise.all(clients.map(async client => Promise.all(urls.map(async url => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await client.repo!.find<SharedDoc>(url, { signal: AbortSignal.timeout(20_000) })
        } catch (err) {
          // the server may not hold the document yet when a peer first asks
          if (attempt >= 20) {
            throw err
          }

          findRetries++
          await sleep(250)
        }
      }
    }))))

    seen.handles = handles
    handles.forEach((perClient, i) => {
      for (const handle of perClient) {
        handle.change(d => { d[`p${i}`] = true })
      }
    })

    let converged = true

    try {
      await waitFor(() => missing() === 0, 120_000, 'every peer to see every key', 100)
    } catch {
      converged = false
    }

    clearInterval(monitor)
    const convergeMs = Date.now() - t1
    progress(`many-peers: ${converged ? 'converged' : `NOT converged, server stderr: ${server.stderr}`} in ${convergeMs} ms`)
    const after = await server.request('memory')
    const stats = await server.request('stats')

    return {
      peers: count,
      docs: docCount,
      converged,
      missing: missing(),
      dialRetries,
      findRetries,
      disconnects: seen.disconnects,
      crashes: crashes.count() + (server.exit != null ? 1 : 0),
      startPeersMs,
      convergeMs,
      serverConnections: stats.connections,
      serverSyncPeers: stats.syncPeers,
      serverHeapBefore: before.heapUsed,
      serverHeapAfter: after.heapUsed,
      serverRssBefore: before.rss,
      serverRssAfter: after.rss,
      heapPerPeer: (after.heapUsed - before.heapUsed) / count,
      rssPerPeer: (after.rss - before.rss) / count,
      durationMs: Date.now() - started
    }
  } finally {
    clearInterval(monitor)
    crashes.stop()
    await Promise.all(clients.map(async client => client.stop()))
    await server.stop()
  }
}
