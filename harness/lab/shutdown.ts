/**
 * Clean stops with WebRTC peers connected: a `docpeer daemon` (CLI, easy NAT, STUN) with a direct
 * WebRTC connection from a daemon behind another NAT, and a `docpeer daemon --role server` (CLI, public
 * segment) with that daemon connected over WebRTC Direct, are stopped with SIGINT or SIGTERM; each stop
 * must exit 0 with no native crash (issue 12: 7 of 10 demo stops ended in SIGABRT/SIGSEGV inside
 * node-datachannel).
 */
import { rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { PUBLIC_IP } from './net.ts'
import { startLabPeer, withNatLab } from './scenarios.ts'
import type { Lab } from './net.ts'
import type { ChildProcess } from 'node:child_process'

const CLI = fileURLToPath(new URL('./cli-entry.ts', import.meta.url))

export interface StopResult {
  who: 'daemon' | 'server'
  signal: NodeJS.Signals
  exit: string
  /** the WebRTC connections the stopped process had */
  webrtcConnections: number
  /** what it printed about its reachability: the `reachability` JSON lines' statuses, and warnings */
  reachability: string[]
  stderrTail?: string
}

interface RunningCli { child: ChildProcess, output(): string, waitFor(re: RegExp, timeout?: number): Promise<string>, exited: Promise<string> }

export function startCliIn (lab: Lab, ns: string, args: string[]): RunningCli {
  const child = lab.spawn(ns, process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout?.on('data', (c: Buffer) => { out += c.toString() })
  child.stderr?.on('data', (c: Buffer) => { err = (err + c.toString()).slice(-4000) })
  const exited = new Promise<string>(resolve => { child.once('exit', (code, signal) => { resolve(signal ?? `exit ${code}`) }) })

  return {
    child,
    exited,
    output: () => out + (err === '' ? '' : `\n[stderr] ${err}`),
    waitFor: async (re, timeout = 30_000) => {
      const deadline = Date.now() + timeout

      while (Date.now() < deadline) {
        const line = out.split('\n').find(l => re.test(l))

        if (line != null) {
          return line
        }

        if (child.exitCode != null || child.signalCode != null) {
          break
        }

        await new Promise(resolve => setTimeout(resolve, 50))
      }

      throw new Error(`no line matching ${re} (${timeout} ms): ${out.slice(-1500)} ${err.slice(-1500)}`)
    }
  }
}

/**
 * `rounds` stops of each kind; signals alternate between SIGINT and SIGTERM.
 */
export async function runShutdownSoak (init: { prefix: string, rounds: number, log?(line: string): void }): Promise<StopResult[]> {
  return withNatLab({ prefix: init.prefix, natA: 'easy', natB: 'easy' }, async (lab, coturn, server, serverAddr) => {
    const results: StopResult[] = []
    const stun = coturn.stunUrl

    for (let i = 0; i < init.rounds; i++) {
      const signal: NodeJS.Signals = i % 2 === 0 ? 'SIGINT' : 'SIGTERM'
      // a CLI server on its default ports (in the lab namespace: nothing else uses them), with B
      // connected over WebRTC Direct
      const cliServer = startCliIn(lab, lab.pub, ['daemon', '--role', 'server', '--host', PUBLIC_IP, '--no-serve-docs', '--data-dir', `/tmp/${init.prefix}srv-${i}`, '--json'])
      const cliDaemon = startCliIn(lab, lab.home('a').host, ['daemon', '--no-mdns', '--data-dir', `/tmp/${init.prefix}a-${i}`, '--bootstrap', serverAddr, '--stun', stun, '--json'])
      const b = await startLabPeer(lab, lab.home('b').host, { bootstrap: [serverAddr], iceServers: [{ urls: stun }], dialDiscovered: false })

      try {
        const started = JSON.parse(await cliServer.waitFor(/"event":"started"/))
        const webrtcDirect = (started.multiaddrs as string[]).find(ma => ma.includes(`/udp/${4104}/webrtc-direct`))

        if (webrtcDirect == null) {
          throw new Error(`the CLI server does not listen on 4104/udp: ${started.multiaddrs.join(' ')}`)
        }

        const webrtc = await cliDaemon.waitFor(/\/p2p-circuit\/webrtc\/p2p\//)
        const webrtcAddr = (JSON.parse(webrtc).multiaddrs as string[]).find(ma => ma.includes('/p2p-circuit/webrtc'))
        await b.request('dial', { addr: webrtcAddr, timeout: 20_000 }, 25_000)
        await b.request('dial', { addr: webrtcDirect, timeout: 20_000 }, 25_000)

        // the daemon learns its reservation (and prints it) shortly after its address appears
        await cliDaemon.waitFor(/"event":"reachability","status":"behind-nat"/, 10_000).catch(() => {})
        const printedReachability = (cli: RunningCli): string[] => cli.output().split('\n')
          .filter(line => /"event":"(reachability|warning)"/.test(line))
          .map(line => { const e = JSON.parse(line.slice(line.indexOf('{'))); return e.event === 'warning' ? 'warning' : e.status })
        const { connections } = await b.request('connections')
        const webrtcTo = (id: string): number => (connections as Array<{ peer: string, addr: string }>).filter(c => c.peer === id && c.addr.includes('/webrtc')).length
        const daemonId = webrtcAddr?.split('/p2p/').pop() ?? ''
        const serverId = webrtcDirect.split('/p2p/').pop() ?? ''

        cliDaemon.child.kill(signal)
        const daemonExit = await cliDaemon.exited
        results.push({ who: 'daemon', signal, exit: daemonExit, webrtcConnections: webrtcTo(daemonId), reachability: printedReachability(cliDaemon), stderrTail: daemonExit === 'exit 0' ? undefined : cliDaemon.output().slice(-1500) })

        cliServer.child.kill(signal)
        const serverExit = await cliServer.exited
        results.push({ who: 'server', signal, exit: serverExit, webrtcConnections: webrtcTo(serverId), reachability: printedReachability(cliServer), stderrTail: serverExit === 'exit 0' ? undefined : cliServer.output().slice(-1500) })
        init.log?.(`stop round ${i + 1}/${init.rounds} (${signal}): daemon ${daemonExit}, server ${serverExit}`)
      } finally {
        cliDaemon.child.kill('SIGKILL')
        cliServer.child.kill('SIGKILL')
        await b.stop()
        await Promise.all([cliDaemon.exited, cliServer.exited])
        await rm(`/tmp/${init.prefix}srv-${i}`, { recursive: true, force: true })
        await rm(`/tmp/${init.prefix}a-${i}`, { recursive: true, force: true })
      }
    }

    void server
    return results
  })
}
