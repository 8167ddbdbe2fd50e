/**
 * The control API of a running daemon (src/control/), through the CLI that uses it: `docpeer
 * status`, `peers`, `connect`, `disconnect`, `id`, and `doc` commands on a data directory a daemon
 * holds. Real daemons spawned from bin/docpeer.js on loopback; needs `npm run build`.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'aegir/chai'
import { controlSocketPath } from '../src/control/protocol.ts'
import { runCli, startCli } from './fixtures/cli.ts'
import type { RunningDaemon } from './fixtures/cli.ts'
import type { Socket } from 'node:net'

const LOOPBACK_LISTEN = ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns']
const TCP_ADDR = /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//

interface Started {
  daemon: RunningDaemon
  dir: string
  addr: string
  peerId: string
}

describe('docpeer control API (status, peers, connect, disconnect)', function () {
  this.timeout(120_000)
  const dirs: string[] = []
  const running: RunningDaemon[] = []

  async function tempDir (): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'dp-ctl-'))
    dirs.push(dir)
    return dir
  }

  async function daemon (dir?: string, ...extra: string[]): Promise<Started> {
    const dataDir = dir ?? await tempDir()
    const child = startCli(['daemon', '--data-dir', dataDir, ...LOOPBACK_LISTEN, ...extra])
    running.push(child)
    const addr = await child.waitFor(TCP_ADDR)
    await child.waitFor(/^control socket /)
    return { daemon: child, dir: dataDir, addr, peerId: addr.split('/p2p/')[1] }
  }

  async function json (args: string[]): Promise<{ code: number | null, body: any, stderr: string }> {
    const result = await runCli([...args, '--json'])
    let body: any

    try {
      body = JSON.parse(result.stdout)
    } catch {
      throw new Error(`not JSON (exit ${String(result.code)}): ${result.stdout}\n${result.stderr}`)
    }

    return { code: result.code, body, stderr: result.stderr }
  }

  afterEach(async () => {
    await Promise.all(running.splice(0).map(async child => child.stop('SIGKILL')))
    await Promise.all(dirs.splice(0).map(async dir => rm(dir, { recursive: true, force: true })))
  })

  it('reports connections in status and peers, connects and disconnects', async () => {
    const a = await daemon()
    const b = await daemon()

    const connected = await json(['connect', b.addr, '--data-dir', a.dir])
    expect(connected.code, connected.stderr).to.equal(0)
    expect(connected.body).to.include({ peerId: b.peerId, transport: 'tcp', direct: true })

    // sync comes up after the connection: status lists b as a sync peer once it has
    let status = (await json(['status', '--data-dir', a.dir])).body

    for (let i = 0; i < 50 && !status.syncPeers.includes(b.peerId); i++) {
      await new Promise(resolve => setTimeout(resolve, 200))
      status = (await json(['status', '--data-dir', a.dir])).body
    }

    expect(status.peerId).to.equal(a.peerId)
    expect(status.announced).to.include(a.addr)
    expect(status.listen).to.deep.equal(['/ip4/127.0.0.1/tcp/0'])
    expect(status.syncPeers).to.deep.equal([b.peerId])
    expect(status.reachability).to.be.oneOf(['public', 'private', 'unknown'])
    expect(status.reservations).to.deep.equal({ held: [], served: [] })
    expect(status.connections).to.have.lengthOf(1)
    expect(status.connections[0]).to.include({ peerId: b.peerId, transport: 'tcp', direct: true, limited: false, direction: 'outbound', syncing: true })
    expect(status.connections[0].ageMs).to.be.a('number')

    const text = await runCli(['status', '--data-dir', a.dir])
    expect(text.code, text.stderr).to.equal(0)
    expect(text.stdout).to.include(`peer id       ${a.peerId}`).and.to.include(`${b.peerId} tcp direct outbound`)

    const peers = await runCli(['peers', '--data-dir', a.dir])
    expect(peers.stdout.trim()).to.equal(b.addr)
    const verbose = await runCli(['peers', '-v', '--data-dir', a.dir])
    expect(verbose.stdout).to.include('/docpeer/automerge-repo/1.0.0').and.to.include('tcp, direct, outbound')

    const disconnected = await json(['disconnect', b.peerId, '--data-dir', a.dir])
    expect(disconnected.code, disconnected.stderr).to.equal(0)
    expect(disconnected.body).to.deep.equal({ peerId: b.peerId, closed: 1 })
    expect((await json(['peers', '--data-dir', a.dir])).body).to.deep.equal([])

    // the peer store remembers b's address: connect by peer id alone
    const byId = await json(['connect', b.peerId, '--data-dir', a.dir])
    expect(byId.code, JSON.stringify(byId.body)).to.equal(0)
    expect(byId.body.peerId).to.equal(b.peerId)

    // id answers from the daemon, whose datastore is locked
    const id = await runCli(['id', '--data-dir', a.dir])
    expect(id.code, id.stderr).to.equal(0)
    expect(id.stdout.trim()).to.equal(a.peerId)
  })

  it('reports relay reservations held and served, and a relayed (limited) connection', async () => {
    const relay = await daemon(undefined, '--role', 'server', '--metrics', '0')
    const behind = await daemon(undefined, '--listen', '/p2p-circuit')
    const dialer = await daemon()
    expect((await json(['connect', relay.addr, '--data-dir', behind.dir])).code).to.equal(0)

    // the reservation is taken once identify tells `behind` that the relay is one
    let status = (await json(['status', '--data-dir', behind.dir])).body

    for (let i = 0; i < 100 && status.reservations.held.length === 0; i++) {
      await new Promise(resolve => setTimeout(resolve, 200))
      status = (await json(['status', '--data-dir', behind.dir])).body
    }

    const circuit = `${relay.addr}/p2p-circuit/p2p/${behind.peerId}`
    expect(status.reservations.held).to.deep.equal([{ peerId: relay.peerId, multiaddr: circuit }])
    expect(status.announced).to.include(circuit)
    expect(status.listen).to.include('/p2p-circuit')

    const served = (await json(['status', '--data-dir', relay.dir])).body.reservations.served
    expect(served.map((reservation: any) => reservation.peerId)).to.deep.equal([behind.peerId])
    expect(served[0].expires).to.be.a('string')
    const metricsUrl = (await relay.daemon.waitFor(/^metrics on /)).replace('metrics on ', '').trim()
    expect(await (await fetch(metricsUrl)).text()).to.include('docpeer_relay_reservations{side="served"} 1')

    const relayed = await json(['connect', circuit, '--data-dir', dialer.dir])
    expect(relayed.code, JSON.stringify(relayed.body)).to.equal(0)
    expect(relayed.body).to.include({ peerId: behind.peerId, transport: 'circuit-relay', direct: false })

    const connections = (await json(['peers', '--data-dir', dialer.dir])).body
    expect(connections.find((c: any) => c.peerId === behind.peerId)).to.include({ transport: 'circuit-relay', direct: false, limited: true, syncing: false })
  })

  it('answers errors as JSON with exit 1 (failed) or 2 (command line)', async () => {
    const empty = await tempDir()
    const none = await json(['status', '--data-dir', empty])
    expect(none.code).to.equal(1)
    expect(none.body.error.name).to.equal('DaemonNotRunningError')
    expect((await runCli(['status', '--data-dir', empty])).stderr).to.include('No daemon is running on')

    const a = await daemon()
    const badTarget = await json(['connect', 'notapeerid', '--data-dir', a.dir])
    expect(badTarget.code).to.equal(2)
    expect(badTarget.body.error.name).to.equal('UsageError')

    const badAddr = await json(['connect', '/ip4/127.0.0.1/tcp/notaport', '--data-dir', a.dir])
    expect(badAddr.code).to.equal(2)
    expect(badAddr.body.error.name).to.equal('InvalidMultiaddrError')

    const badOption = await json(['peers', '--frobnicate', '--data-dir', a.dir])
    expect(badOption.code).to.equal(2)
    expect(badOption.body.error.message).to.include('frobnicate')

    const unreachable = await json(['connect', '/ip4/127.0.0.1/tcp/1/p2p/12D3KooWNbZikvKX8tarExBSpUePHJbnuKRgCLfkGCSa3WDdaaQ6', '--timeout', '3', '--data-dir', a.dir])
    expect(unreachable.code).to.equal(1)
    expect(unreachable.body.error.message).to.be.a('string').and.not.equal('')

    const notConnected = await json(['disconnect', '12D3KooWNbZikvKX8tarExBSpUePHJbnuKRgCLfkGCSa3WDdaaQ6', '--data-dir', a.dir])
    expect(notConnected.code).to.equal(1)
    expect(notConnected.body.error.name).to.equal('NotConnectedError')

    // a daemon without documents says so to doc commands instead of failing on the locked datastore
    const noDocs = await daemon(undefined, '--no-serve-docs')
    const created = await runCli(['doc', 'create', 'a=1', '--data-dir', noDocs.dir])
    expect(created.code).to.equal(1)
    expect(created.stderr).to.include('does not keep documents')

    // --no-control: no socket, so the CLI finds no daemon there
    const dir = await tempDir()
    const quiet = startCli(['daemon', '--data-dir', dir, ...LOOPBACK_LISTEN, '--no-control'])
    running.push(quiet)
    await quiet.waitFor(TCP_ADDR)
    expect(quiet.output()).to.not.include('control socket')
    expect((await json(['status', '--data-dir', dir])).body.error.name).to.equal('DaemonNotRunningError')
  })

  it('keeps the socket owner-only, survives a stale socket, removes it on stop and exits 0 with clients connected', async () => {
    const a = await daemon()
    const socketPath = controlSocketPath(a.dir)
    expect((await stat(socketPath)).mode & 0o777).to.equal(0o600)
    expect((await stat(join(a.dir, 'control'))).mode & 0o777).to.equal(0o700)

    // a daemon killed with SIGKILL leaves its socket behind; the next start replaces it
    await a.daemon.stop('SIGKILL')
    expect((await stat(socketPath)).isSocket()).to.be.true()
    const stale = await json(['status', '--data-dir', a.dir])
    expect(stale.body.error.name).to.equal('DaemonNotRunningError')

    const again = await daemon(a.dir)
    expect(again.peerId).to.equal(a.peerId)

    // a client holding a connection, with a request in the middle of a line, does not keep the
    // daemon from stopping
    const client: Socket = createConnection({ path: socketPath })
    await new Promise<void>((resolve, reject) => { client.once('connect', resolve); client.once('error', reject) })
    const replies: string[] = []
    client.on('data', chunk => replies.push(chunk.toString()))
    client.on('error', () => {})
    client.write('not json\n{"id":7,"method":"nope"}\n{"id":8,"method":"id"}\n{"id":9,')
    await new Promise(resolve => setTimeout(resolve, 500))
    const lines = replies.join('').trim().split('\n').map(line => JSON.parse(line))
    expect(lines[0].error.name).to.equal('InvalidControlRequestError')
    expect(lines.find(line => line.id === 7).error.message).to.include('Unknown method')
    expect(lines.find(line => line.id === 8).result.peerId).to.equal(a.peerId)

    expect(await again.daemon.stop('SIGTERM')).to.equal(0)
    client.destroy()
    expect(await stat(socketPath).then(() => true, () => false), 'socket removed').to.be.false()
  })

  it('runs doc commands through a daemon that holds the data directory', async () => {
    const a = await daemon()
    const created = await runCli(['doc', 'create', '--data-dir', a.dir, 'title=groceries', 'n=1'])
    expect(created.code, created.stderr).to.equal(0)
    const url = created.stdout.trim()
    expect(url).to.match(/^automerge:/)

    const changed = await runCli(['doc', 'change', url, '--data-dir', a.dir, 'n=2'])
    expect(changed.code, changed.stderr).to.equal(0)

    const shown = await runCli(['doc', 'show', url, '--data-dir', a.dir])
    expect(shown.code, shown.stderr).to.equal(0)
    expect(JSON.parse(shown.stdout)).to.deep.equal({ title: 'groceries', n: 2 })

    const status = (await json(['status', '--data-dir', a.dir])).body
    expect(status.documents.stored).to.equal(1)

    // the daemon kept it: after it stops, the directory alone has the document
    expect(await a.daemon.stop('SIGINT')).to.equal(0)
    const local = await runCli(['doc', 'show', url, '--data-dir', a.dir])
    expect(local.code, local.stderr).to.equal(0)
    expect(JSON.parse(local.stdout)).to.deep.equal({ title: 'groceries', n: 2 })
  })

  it('gets a block through a daemon with helia, which fetches it from its peers and keeps it', async () => {
    const a = await daemon(undefined, '--helia')
    const b = await daemon(undefined, '--helia')
    const file = join(b.dir, 'hello.txt')
    await writeFile(file, 'hello through the daemon')
    const put = await runCli(['block', 'put', file, '--data-dir', b.dir])
    expect(put.code, put.stderr).to.equal(0)
    const cid = put.stdout.trim()

    expect((await json(['connect', b.addr, '--data-dir', a.dir])).code).to.equal(0)
    const got = await runCli(['block', 'get', cid, '--data-dir', a.dir])
    expect(got.code, got.stderr).to.equal(0)
    expect(got.stdout).to.equal('hello through the daemon')

    // daemon a kept it: its directory alone has it once a stops
    expect(await a.daemon.stop('SIGINT')).to.equal(0)
    const local = await runCli(['block', 'get', cid, '--data-dir', a.dir])
    expect(local.code, local.stderr).to.equal(0)
    expect(local.stdout).to.equal('hello through the daemon')

    const plain = await daemon()
    const none = await runCli(['block', 'get', cid, '--data-dir', plain.dir])
    expect(none.code).to.equal(1)
    expect(none.stderr).to.include('runs without helia')
  })
})
