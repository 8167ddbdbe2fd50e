/**
 * `docpeer daemon --metrics`: Prometheus text at /metrics with libp2p's metrics and docpeer's own,
 * scraped over loopback from a real daemon; docpeer's sync counters move after a sync. Needs
 * `npm run build`.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'aegir/chai'
import { METRIC_NAMES } from '../src/metrics/registry.ts'
import { createPeer } from '../src/node/peer.ts'
import { SYNC_PROTOCOL } from '../src/sync/index.ts'
import { runCli, startCli } from './fixtures/cli.ts'
import { rawStream } from './fixtures/sync-raw-peer.ts'
import type { RunningDaemon } from './fixtures/cli.ts'

const LOOPBACK_LISTEN = ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns']
const TCP_ADDR = /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//

/**
 * The value of one sample (`name{labels} value`), 0 when absent.
 */
function sample (text: string, name: string, labels = ''): number {
  const line = text.split('\n').find(line => line.startsWith(`${name}${labels === '' ? ' ' : `{${labels}} `}`))
  return line == null ? 0 : Number(line.split(' ').pop())
}

describe('docpeer daemon --metrics', function () {
  this.timeout(120_000)
  const dirs: string[] = []
  const running: RunningDaemon[] = []

  async function tempDir (): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'dp-ctl-metrics-'))
    dirs.push(dir)
    return dir
  }

  afterEach(async () => {
    await Promise.all(running.splice(0).map(async child => child.stop('SIGKILL')))
    await Promise.all(dirs.splice(0).map(async dir => rm(dir, { recursive: true, force: true })))
  })

  it('serves libp2p and docpeer metrics on loopback, and the sync counters move after a sync', async () => {
    const dir = await tempDir()
    const a = startCli(['daemon', '--data-dir', dir, ...LOOPBACK_LISTEN, '--metrics', '0'])
    running.push(a)
    const url = (await a.waitFor(/^metrics on /)).replace('metrics on ', '').trim()
    expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)

    const response = await fetch(url)
    expect(response.status).to.equal(200)
    expect(response.headers.get('content-type')).to.include('text/plain')
    const before = await response.text()

    for (const name of Object.values(METRIC_NAMES)) {
      expect(before, name).to.include(`# TYPE ${name} `)
    }

    // libp2p's own, from @libp2p/prometheus-metrics
    expect(before).to.include('# TYPE libp2p_connection_manager_connections ')
    expect(before).to.include('# TYPE libp2p_registrar_protocol_handlers ')
    expect(sample(before, METRIC_NAMES.syncPeers)).to.equal(0)
    expect(sample(before, METRIC_NAMES.syncMessages, 'direction="received",type="sync"')).to.equal(0)

    // a second daemon syncs a document with the first
    const b = startCli(['daemon', '--data-dir', await tempDir(), ...LOOPBACK_LISTEN])
    running.push(b)
    const bAddr = await b.waitFor(TCP_ADDR)
    await b.waitFor(/^control socket /)
    const created = await runCli(['doc', 'create', '--peer', bAddr, 'title=metrics'])
    expect(created.code, created.stderr).to.equal(0)
    const url2 = created.stdout.trim()
    expect((await runCli(['connect', bAddr, '--data-dir', dir])).code).to.equal(0)
    const shown = await runCli(['doc', 'show', url2, '--data-dir', dir])
    expect(shown.code, shown.stderr).to.equal(0)

    const after = await (await fetch(url)).text()
    expect(sample(after, METRIC_NAMES.syncMessages, 'direction="received",type="sync"')).to.be.greaterThan(0)
    expect(sample(after, METRIC_NAMES.syncMessages, 'direction="sent",type="sync"')).to.be.greaterThan(0)
    expect(sample(after, METRIC_NAMES.syncBytes, 'direction="received"')).to.be.greaterThan(0)
    expect(sample(after, METRIC_NAMES.syncPeerEvents, 'event="up"')).to.be.greaterThan(0)
    expect(sample(after, METRIC_NAMES.documents, 'state="stored"')).to.equal(1)
    expect(sample(after, METRIC_NAMES.connections, 'kind="direct"')).to.be.greaterThan(0)

    expect((await fetch(url.replace('/metrics', '/other'))).status).to.equal(404)
    expect(await a.stop('SIGINT')).to.equal(0)
  })

  it('counts failed sync handshakes by reason', async () => {
    const a = startCli(['daemon', '--data-dir', await tempDir(), ...LOOPBACK_LISTEN, '--metrics', '0'])
    running.push(a)
    const addr = await a.waitFor(TCP_ADDR)
    const url = (await a.waitFor(/^metrics on /)).replace('metrics on ', '').trim()
    const failures = async (): Promise<number> => sample(await (await fetch(url)).text(), METRIC_NAMES.handshakeFailures, 'reason="InvalidMessageError"')
    expect(await failures()).to.equal(0)

    // a peer that opens a sync stream and sends something other than a join
    const mallory = await createPeer({ listen: [], mdns: false, repo: false, dialDiscovered: false })

    try {
      const connection = await mallory.dial(addr)
      const raw = rawStream(await connection.newStream(SYNC_PROTOCOL))
      await raw.send({ type: 'hello', senderId: 'mallory' })
      await raw.ended

      let counted = await failures()

      for (let i = 0; i < 50 && counted === 0; i++) {
        await new Promise(resolve => setTimeout(resolve, 100))
        counted = await failures()
      }

      expect(counted).to.equal(1)
    } finally {
      await mallory.stop()
    }
  })

  it('refuses a malformed --metrics and a taken port before the peer starts', async () => {
    const bad = await runCli(['daemon', '--data-dir', await tempDir(), ...LOOPBACK_LISTEN, '--metrics', 'localhost'])
    expect(bad.code).to.equal(2)
    expect(bad.stderr).to.include('--metrics must be PORT or HOST:PORT')

    const a = startCli(['daemon', '--data-dir', await tempDir(), ...LOOPBACK_LISTEN, '--metrics', '127.0.0.1:0'])
    running.push(a)
    const port = new URL((await a.waitFor(/^metrics on /)).replace('metrics on ', '').trim()).port
    const taken = await runCli(['daemon', '--data-dir', await tempDir(), ...LOOPBACK_LISTEN, '--metrics', port])
    expect(taken.code).to.equal(1)
    expect(taken.stderr).to.include(`cannot serve metrics on 127.0.0.1:${port}`)
  })
})
