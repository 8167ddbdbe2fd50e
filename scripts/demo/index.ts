/* eslint-disable no-console -- a command that reports on its terminal */
/**
 * `npm run demo`: starts a server-role docpeer (relay, WebSocket and WebRTC Direct listeners, a
 * Repo on disk) holding a shared todo list, bundles examples/browser with esbuild and serves it.
 * Open the printed URL in several tabs. Lines typed here are added to the list by the server.
 *
 * Options: `--port` (HTTP port, 8080), `--host` (HTTP host, 127.0.0.1), `--p2p-host` (libp2p listen
 * host, 127.0.0.1; give a LAN address for WebRTC Direct, which browsers never use on loopback),
 * `--p2p-port` (4111: TCP 4111, WebSocket 4112, WebRTC Direct 4114/udp; 0 for random ports),
 * `--data-dir` (./.docpeer-demo).
 *
 * The libp2p ports are fixed (and the peer id and certhash survive in the data directory) so that
 * tabs left open redial the same addresses and reconnect after the server restarts; with random
 * ports they redialed a dead port forever. They sit beside a daemon's 4101-4104.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'
import { MAX_TODO_LENGTH, clip } from '../../examples/browser/limits.ts'
import { createPeer, keepStoppedWebRTCDirectListeners } from '../../src/index.ts'
import { bundleBrowser } from './bundle.ts'
import { serveDirectory } from './static-server.ts'
import type { AutomergeUrl } from '@automerge/automerge-repo'

/**
 * The TCP port; WebSocket listens on the next one and WebRTC Direct (UDP) three above, as a
 * daemon's 4101, 4102 and 4104.
 */
const DEFAULT_P2P_PORT = 4111

// the repository root: this file is scripts/demo/index.ts
const root = fileURLToPath(new URL('../..', import.meta.url))
const example = join(root, 'examples/browser')

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    'p2p-host': { type: 'string', default: '127.0.0.1' },
    'p2p-port': { type: 'string', default: String(DEFAULT_P2P_PORT) },
    'data-dir': { type: 'string', default: './.docpeer-demo' },
    help: { type: 'boolean', default: false }
  },
  strict: true
})

if (values.help) {
  console.info('usage: npm run demo -- [--port 8080] [--host 127.0.0.1] [--p2p-host 127.0.0.1] [--p2p-port 4111] [--data-dir ./.docpeer-demo]')
  process.exit(0)
}

const p2pPort = Number(values['p2p-port'])

if (!Number.isInteger(p2pPort) || p2pPort < 0 || p2pPort > 65531) {
  console.error(`--p2p-port must be a port number (0 for random ports), got "${values['p2p-port']}"`)
  process.exit(2)
}

// 0 stays 0 for every listener (random ports)
const portAt = (offset: number): number => p2pPort === 0 ? 0 : p2pPort + offset

// stop() ends with process.exit(), so the WebRTC Direct listener can be kept until then: freed, the
// tabs' redials aborted 1 to 3 of every 3-4 stops (src/config/ice-udp-mux-policy.ts)
keepStoppedWebRTCDirectListeners()

const dataDir = values['data-dir']
const server = await createPeer({
  role: 'server',
  host: values['p2p-host'],
  ports: { tcp: portAt(0), ws: portAt(1), webrtcDirect: portAt(3) },
  dataDir,
  mdns: false,
  // nothing leaves this machine
  iceServers: []
})

const repo = server.repo

if (repo == null) {
  throw new Error('the server peer has no Repo')
}

// the list survives restarts: its URL is kept beside the server's data
const urlFile = join(dataDir, 'demo-doc-url')
let docUrl = await readFile(urlFile, 'utf8').then(s => s.trim() as AutomergeUrl).catch(() => undefined)

if (docUrl == null) {
  const handle = repo.create({
    title: 'Our shared list',
    todos: [{ id: 'welcome', text: 'Open this page in a second tab', done: false, by: 'server', at: Date.now() }]
  })
  docUrl = handle.url
  await writeFile(urlFile, docUrl)
}

const doc = await repo.find<{ todos: any[] }>(docUrl)

const out = await mkdtemp(join(tmpdir(), 'docpeer-demo-'))
const started = Date.now()
await bundleBrowser({
  entry: join(example, 'main.ts'),
  outfile: join(out, 'main.js'),
  minify: true,
  alias: { docpeer: join(root, 'src/index.ts') },
  automergeWasm: 'file'
})
const bundle = await readFile(join(out, 'main.js'))
const wasm = await readFile(join(out, 'automerge.wasm'))
await copyFile(join(example, 'index.html'), join(out, 'index.html'))
await copyFile(join(example, 'style.css'), join(out, 'style.css'))

const addrs = server.libp2p.getMultiaddrs().map(ma => ma.toString())
await writeFile(join(out, 'config.json'), JSON.stringify({
  docUrl,
  server: {
    peerId: server.peerId.toString(),
    storageId: await repo.storageId(),
    ws: addrs.filter(a => a.includes('/ws/')),
    webrtcDirect: addrs.filter(a => a.includes('/webrtc-direct/'))
  }
}, null, 2))

const { server: http, url } = await serveDirectory(out, Number(values.port), values.host)

console.info(`server peer ${server.peerId.toString()}`)
for (const a of addrs) {
  console.info(`  ${a}`)
}
console.info(`document ${docUrl}`)
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`
console.info(`bundle main.js ${kib(bundle.length)} minified, ${kib(gzipSync(bundle, { level: 9 }).length)} gzipped; automerge.wasm ${kib(wasm.length)}, ${kib(gzipSync(wasm, { level: 9 }).length)} gzipped (built in ${Date.now() - started} ms)`)
console.info(`demo at ${url}/ (open it in a few tabs; type a line here to add a todo from the server)`)

const lines = createInterface({ input: process.stdin })
lines.on('line', line => {
  const typed = line.trim()
  const text = clip(typed, MAX_TODO_LENGTH)

  if (text.length < typed.length) {
    console.info(`(cut to ${MAX_TODO_LENGTH} characters)`)
  }

  if (text !== '') {
    doc.change(d => { d.todos.push({ id: `server-${Date.now()}`, text, done: false, by: 'server', at: Date.now() }) })
  }
})

let stopping = false
const stop = async (): Promise<void> => {
  if (stopping) {
    return
  }

  stopping = true
  lines.close()
  http.closeAllConnections()
  await new Promise(resolve => http.close(resolve))
  await server.stop()
  await rm(out, { recursive: true, force: true })
  process.exit(0)
}

process.on('SIGINT', () => { void stop() })
process.on('SIGTERM', () => { void stop() })
