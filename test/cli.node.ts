import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'aegir/chai'
import { nodeVersionProblem } from '../src/cli/node-version.ts'
import { runCli, startCli } from './fixtures/cli.ts'
import type { RunningDaemon } from './fixtures/cli.ts'

const MODULE_LIST = fileURLToPath(new URL('./fixtures/module-list.ts', import.meta.url))
const CLI_MAIN = fileURLToPath(new URL('./fixtures/cli-main.ts', import.meta.url))

/**
 * The modules a CLI command loads, run from its tsc modules so each package shows by name.
 */
async function modulesLoadedBy (args: string[], dir: string, expectedCode = 0): Promise<string[]> {
  const list = join(dir, 'modules.txt')
  const child = spawn(process.execPath, ['--import', MODULE_LIST, CLI_MAIN, ...args], {
    env: { ...process.env, DOCPEER_MODULE_LIST: list },
    stdio: ['ignore', 'ignore', 'pipe']
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  expect(code, `${args.join(' ')}: ${stderr}`).to.equal(expectedCode)

  return (await readFile(list, 'utf8')).split('\n').filter(url => url !== '')
}

/**
 * Packages that make a node (libp2p itself, its transports and services), sync documents or run
 * helia: what a light command must not load.
 */
const NODE_PACKAGES = /\/node_modules\/(libp2p|helia|@helia\/[^/]+|@automerge\/automerge-repo|@automerge\/automerge|@libp2p\/(gossipsub|tcp|websockets|webrtc|noise|yamux|identify|circuit-relay-v2|mdns))\//

const LOOPBACK_LISTEN = ['--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws', '--no-mdns']

describe('docpeer command', () => {
  let dir: string
  const daemons: RunningDaemon[] = []

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'docpeer-cli-'))
  })

  afterEach(async () => {
    await Promise.all(daemons.splice(0).map(async daemon => daemon.stop('SIGKILL')))
    await rm(dir, { recursive: true, force: true })
  })

  it('runs a daemon that a dial reaches, and stops it with SIGINT, exit 0', async () => {
    const daemon = startCli(['daemon', '--data-dir', dir, ...LOOPBACK_LISTEN])
    daemons.push(daemon)

    const idLine = await daemon.waitFor(/peer id /)
    const peerId = idLine.split('peer id ')[1].trim()
    const tcpAddr = await daemon.waitFor(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//)
    expect(tcpAddr).to.include(peerId)

    const dial = await runCli(['dial', tcpAddr])
    expect(dial.code, dial.stderr).to.equal(0)
    expect(dial.stdout).to.include(`peer ${peerId}`)
    expect(dial.stdout).to.match(/address \/ip4\/127\.0\.0\.1\/tcp\/\d+/)
    expect(dial.stdout).to.match(/ping \d+ ms/)

    // the daemon logs the dialer connecting
    await daemon.waitFor(/^connected 12D3KooW/)

    expect(await daemon.stop('SIGINT')).to.equal(0)
    expect(daemon.output()).to.include('stopping')
  })

  it('stops on SIGTERM with exit 0 and prints JSON lines with --json', async () => {
    const daemon = startCli(['daemon', '--data-dir', dir, '--json', ...LOOPBACK_LISTEN])
    daemons.push(daemon)

    const started = JSON.parse(await daemon.waitFor(/"event":"started"/))
    expect(started.peerId).to.match(/^12D3KooW/)
    expect(started.multiaddrs).to.be.an('array').with.length.at.least(2)

    expect(await daemon.stop('SIGTERM')).to.equal(0)
  })

  it('runs a server-role daemon (relay, WebSocket, WebRTC Direct) and stops it with SIGINT, exit 0', async () => {
    const daemon = startCli(['daemon', '--role', 'server', '--data-dir', dir, '--host', '127.0.0.1', '--no-mdns',
      '--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws', '--listen', '/ip4/127.0.0.1/udp/0/webrtc-direct'])
    daemons.push(daemon)

    const wsAddr = await daemon.waitFor(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\//)
    await daemon.waitFor(/\/webrtc-direct\/certhash\//)
    const printed = daemon.output().split('\n').filter(line => line.startsWith('/'))
    expect(new Set(printed).size, 'each address printed once').to.equal(printed.length)

    const dial = await runCli(['dial', wsAddr])
    expect(dial.code, dial.stderr).to.equal(0)

    expect(await daemon.stop('SIGINT')).to.equal(0)
  })

  it('keeps the daemon\'s peer id across restarts, the same one `docpeer id` prints', async () => {
    const id = await runCli(['id', '--data-dir', dir])
    expect(id.code, id.stderr).to.equal(0)
    const peerId = id.stdout.trim()
    expect(peerId).to.match(/^12D3KooW/)

    const daemon = startCli(['daemon', '--data-dir', dir, ...LOOPBACK_LISTEN])
    daemons.push(daemon)
    expect(await daemon.waitFor(/peer id /)).to.include(peerId)
  })

  it('exits 2 with a clear message on a malformed multiaddr', async () => {
    const result = await runCli(['dial', 'not-a-multiaddr'])
    expect(result.code).to.equal(2)
    expect(result.stderr).to.include('not a multiaddr')

    const badIp = await runCli(['dial', '/ip4/300.1.1.1/tcp/1'])
    expect(badIp.code).to.equal(2)
    expect(badIp.stderr).to.include('300.1.1.1')

    const badListen = await runCli(['daemon', '--data-dir', dir, '--listen', 'tcp:4101'])
    expect(badListen.code).to.equal(2)
    expect(badListen.stderr).to.include('--listen')
  })

  it('exits 1 with the reason when the peer is unreachable', async () => {
    const result = await runCli(['dial', '/ip4/127.0.0.1/tcp/1', '--timeout', '5'])
    expect(result.code).to.equal(1)
    expect(result.stderr).to.include('cannot reach /ip4/127.0.0.1/tcp/1')
    expect(result.stderr).to.include('ECONNREFUSED')
  })

  it('exits 2 on unknown commands and options, and prints help', async () => {
    expect((await runCli(['frobnicate'])).code).to.equal(2)
    expect((await runCli(['daemon', '--no-such-option'])).code).to.equal(2)
    expect((await runCli(['daemon', '--role', 'browser'])).code).to.equal(2)
    expect((await runCli(['daemon', '--tls-cert', 'x.pem'])).code).to.equal(2)

    const help = await runCli(['--help'])
    expect(help.code).to.equal(0)
    expect(help.stdout).to.include('daemon').and.to.include('dial').and.to.include('id')

    for (const command of ['daemon', 'dial', 'id']) {
      const commandHelp = await runCli([command, '--help'])
      expect(commandHelp.code).to.equal(0)
      expect(commandHelp.stdout).to.include(`Usage: docpeer ${command}`)
    }

    const version = await runCli(['--version'])
    expect(version.stdout.trim()).to.match(/^\d+\.\d+\.\d+/)
  })

  it('exits 1 with a clear message when the data directory is in use', async () => {
    const daemon = startCli(['daemon', '--data-dir', dir, ...LOOPBACK_LISTEN])
    daemons.push(daemon)
    await daemon.waitFor(/peer id /)

    const second = await runCli(['daemon', '--data-dir', dir, ...LOOPBACK_LISTEN])
    expect(second.code).to.equal(1)
    expect(second.stderr).to.include('in use by another docpeer process')
  })

  it('answers id, --help and --version without loading libp2p, helia or automerge-repo', async () => {
    for (const args of [['id', '--data-dir', dir], ['id', '--help'], ['--help'], ['--version'], ['daemon', '--help'], ['doc', '--help']]) {
      const modules = await modulesLoadedBy(args, dir)
      expect(modules.some(url => url.endsWith('/dist/src/cli/index.js')), args.join(' ')).to.equal(true)
      expect(modules.filter(url => NODE_PACKAGES.test(url)), args.join(' ')).to.deep.equal([])
    }

    // the check sees them where they are loaded
    const dial = await modulesLoadedBy(['dial', '/ip4/127.0.0.1/tcp/1', '--timeout', '2'], dir, 1)
    expect(dial.filter(url => NODE_PACKAGES.test(url))).to.not.be.empty()
  })

  it('names the Node.js version it needs when it runs on an older one', () => {
    expect(nodeVersionProblem('20.20.2')).to.include('>= 22').and.to.include('found 20.20.2')
    expect(nodeVersionProblem('22.0.0')).to.be.undefined()
    expect(nodeVersionProblem('24.1.0')).to.be.undefined()
  })
})
