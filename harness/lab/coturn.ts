/**
 * coturn (Debian's `turnserver`) as the lab's STUN and TURN server, on the public segment. TURN uses
 * the long-term credential mechanism with one user; relayed traffic leaves from `PUBLIC_IP`.
 */
import { PUBLIC_IP } from './net.ts'
import type { Lab } from './net.ts'
import type { ChildProcess } from 'node:child_process'

export const TURN_PORT = 3478
export const TURN_USER = 'lab'
export const TURN_PASSWORD = 'lab-secret'

export interface Coturn {
  stunUrl: string
  turnUrl: string
  iceServers: Array<{ urls: string, username?: string, credential?: string }>
  log(): string
  process: ChildProcess
}

export async function startCoturn (lab: Lab, timeout = 10_000): Promise<Coturn> {
  const child = lab.spawn(lab.pub, 'turnserver', [
    '-n',
    '--listening-ip', PUBLIC_IP,
    '--relay-ip', PUBLIC_IP,
    '--listening-port', String(TURN_PORT),
    '--min-port', '49152',
    '--max-port', '49999',
    '--lt-cred-mech',
    '--user', `${TURN_USER}:${TURN_PASSWORD}`,
    '--realm', 'docpeer.lab',
    '--userdb', '/dev/null',
    '--no-tls',
    '--no-dtls',
    '--no-cli',
    // the lab's "public" addresses are a documentation range: allow relaying to them
    '--allowed-peer-ip', '198.51.100.0-198.51.100.255',
    // and refuse private peers, as a public TURN server should: a Send to a peer's LAN host
    // candidate (10.0.x.2, no route from the public segment) fails with ENETUNREACH, and coturn
    // 4.6.1 then closes the whole allocation ("closed (2nd stage) ... reason: general"), so every
    // later TURN request of that peer got 438/400 and TURN never carried a connection
    '--denied-peer-ip', '10.0.0.0-10.255.255.255',
    '--log-file', 'stdout',
    '--simple-log',
    '--verbose',
    '--pidfile', '/dev/null'
  ], { stdio: ['ignore', 'pipe', 'pipe'] })

  let log = ''
  const onData = (chunk: Buffer): void => { log = (log + chunk.toString()).slice(-200_000) }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`coturn did not start in ${timeout} ms: ${log.slice(-2000)}`)) }, timeout)
    const check = (): void => {
      if (/listener opened on/i.test(log) || /Total (UDP|General) servers/i.test(log)) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout?.on('data', check)
    child.stderr?.on('data', check)
    child.once('exit', code => {
      clearTimeout(timer)
      reject(new Error(`coturn exited (${code}): ${log.slice(-2000)}`))
    })
  })

  const stunUrl = `stun:${PUBLIC_IP}:${TURN_PORT}`
  const turnUrl = `turn:${PUBLIC_IP}:${TURN_PORT}`

  return {
    stunUrl,
    turnUrl,
    iceServers: [{ urls: stunUrl }, { urls: turnUrl, username: TURN_USER, credential: TURN_PASSWORD }],
    log: () => log,
    process: child
  }
}
