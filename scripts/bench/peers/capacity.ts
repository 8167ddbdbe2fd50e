/**
 * Server capacity (`scripts/bench/capacity.ts`): one docpeer server, and many daemon peers per
 * process that connect to it, all open one document, and see a change made on the server.
 */
import { settledHeap } from '../../../harness/memory.ts'
import { findDoc, loadDocpeer } from '../lib/sync-peer.ts'
import type { Docpeer } from '../../../src/index.ts'
import type { AutomergeUrl, DocHandle } from '@automerge/automerge-repo'

let server: Docpeer | undefined
const clients: Docpeer[] = []
const handles: Array<DocHandle<{ value: number }>> = []
let serverHandle: DocHandle<{ value: number }> | undefined

export async function startServer (maxConnections: number): Promise<string> {
  const { createPeer } = await loadDocpeer()
  server = await createPeer({
    role: 'server',
    mdns: false,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    maxConnections,
    // every peer here comes from 127.0.0.1
    inboundConnectionThreshold: 100_000,
    repo: { storage: 'memory' }
  })
  return server.libp2p.getMultiaddrs()[0].toString()
}

export async function memory (): Promise<{ heapUsed: number, rss: number, connections: number, syncPeers: number }> {
  return {
    heapUsed: await settledHeap(),
    rss: process.memoryUsage().rss,
    connections: server?.libp2p.getConnections().length ?? 0,
    syncPeers: server?.repo?.peers.length ?? 0
  }
}

export function createDoc (): AutomergeUrl {
  serverHandle = server!.repo!.create({ value: 0 })
  return serverHandle.url
}

export function change (value: number): void {
  serverHandle!.change(doc => { doc.value = value })
}

/**
 * Creates `count` peers, not connected to anything yet.
 */
export async function create (count: number): Promise<void> {
  const { createPeer } = await loadDocpeer()

  for (let i = 0; i < count; i++) {
    clients.push(await createPeer({ mdns: false, listen: [], repo: { storage: 'memory' }, dialDiscovered: false }))
  }
}

/**
 * Connects the peers to the server, `concurrency` at a time. Returns the time from the first dial
 * to the last peer with sync up, and the retries.
 */
export async function connect (address: string, concurrency: number): Promise<{ ms: number, retries: number }> {
  let retries = 0
  let next = 0
  const started = performance.now()

  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < clients.length) {
      const client = clients[next++]

      for (let attempt = 0; ; attempt++) {
        try {
          await client.syncWith(address, { signal: AbortSignal.timeout(30_000) })
          break
        } catch (err) {
          // a starved server times handshakes out (libp2p's upgrade timeout): retried, and counted
          if (attempt >= 50) {
            throw err
          }
          retries++
          await new Promise(resolve => setTimeout(resolve, Math.min(5_000, 200 * (attempt + 1))))
        }
      }
    }
  }))

  return { ms: performance.now() - started, retries }
}

export async function join (url: AutomergeUrl): Promise<number> {
  const started = performance.now()
  await Promise.all(clients.map(async (client, i) => {
    // waits on through automerge-repo 2.5.6's early "unavailable" (see findDoc), as w5 does
    handles[i] = await findDoc<{ value: number }>(client.repo!, url, 120_000)
  }))
  return performance.now() - started
}

export async function waitValue (value: number): Promise<void> {
  await Promise.all(handles.map(async handle => new Promise<void>(resolve => {
    const check = (): void => {
      if (handle.doc().value === value) {
        handle.off('change', check)
        resolve()
      }
    }
    handle.on('change', check)
    check()
  })))
}
