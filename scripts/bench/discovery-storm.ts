/* eslint-disable no-console -- a command-line tool: its output is the point */
/**
 * The discovery storm of a mass join: one server and N listening daemons in one process, all
 * dialing the server at once (a server restarted, a class opening the same app), then 20 s of
 * counting. Every daemon is a newcomer to every other, so each announcement can draw answers:
 * prints the announcements delivered per second, how many each daemon sent, and the CPU time
 * of the process over the window.
 *
 * `node scripts/bench/discovery-storm.ts [--peers 50] [--dial-discovered true|false|N] [--src DIR]`;
 * `--src` runs docpeer from another checkout's `src/` (before and after, side by side).
 */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_DISCOVERY_TOPIC } from '../../src/config/constants.ts'
import type { createPeer as CreatePeer, Docpeer } from '../../src/index.ts'

const WINDOW_MS = 20_000

const { values } = parseArgs({
  options: {
    peers: { type: 'string', default: '50' },
    'dial-discovered': { type: 'string', default: 'true' },
    src: { type: 'string' }
  }
})

const peers = Number(values.peers)
const dialDiscovered = JSON.parse(values['dial-discovered']) as boolean | number
const entry = values.src == null ? '../../src/index.ts' : resolve(values.src, 'index.ts')
const { createPeer } = await import(entry) as { createPeer: typeof CreatePeer }

const loopback = { host: '127.0.0.1', mdns: false, listen: ['/ip4/127.0.0.1/tcp/0'], repo: { storage: 'memory' as const } }
const server = await createPeer({ ...loopback, role: 'server', inboundConnectionThreshold: 1000 })
const daemons: Docpeer[] = await Promise.all(Array.from({ length: peers }, async () => createPeer({ ...loopback, dialDiscovered })))

const start = Date.now()
const perSecond: number[] = []
// what the first daemon heard, by author: how many announcements each daemon sent
const byAuthor = new Map<string, number>()

daemons.forEach((daemon, i) => {
  daemon.libp2p.services.pubsub.addEventListener('message', evt => {
    if (evt.detail.topic !== DEFAULT_DISCOVERY_TOPIC) {
      return
    }

    const second = Math.floor((Date.now() - start) / 1000)
    perSecond[second] = (perSecond[second] ?? 0) + 1

    if (i === 0 && evt.detail.type === 'signed') {
      const author = evt.detail.from.toString()
      byAuthor.set(author, (byAuthor.get(author) ?? 0) + 1)
    }
  })
})

await Promise.all(daemons.map(async daemon => daemon.dial(server.libp2p.getMultiaddrs()[0])))
console.log(`${peers} daemons connected in ${Date.now() - start} ms`)

const cpuBefore = process.cpuUsage()
await new Promise(resolve => setTimeout(resolve, WINDOW_MS))
const cpu = process.cpuUsage(cpuBefore)

const deliveries = perSecond.reduce((sum, n) => sum + (n ?? 0), 0)
const histogram = new Map<number, number>()
byAuthor.forEach(sent => histogram.set(sent, (histogram.get(sent) ?? 0) + 1))

console.log('deliveries per second:', Array.from({ length: WINDOW_MS / 1000 + 1 }, (_, s) => perSecond[s] ?? 0).join(' '))
console.log(`deliveries ${deliveries}, announcements about ${(deliveries / peers).toFixed(1)}, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s in ${WINDOW_MS / 1000} s`)
console.log('announcements per daemon (heard by the first):', [...histogram].sort((a, b) => a[0] - b[0]).map(([sent, authors]) => `${sent}: ${authors}`).join(', '))
console.log('most connections of a daemon:', Math.max(...daemons.map(daemon => daemon.libp2p.getConnections().length)))

await Promise.all([server, ...daemons].map(async peer => peer.stop()))
