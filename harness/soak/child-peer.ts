/**
 * Starts harness/soak/reliability-peer.ts in a child process and talks to it over IPC.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'

const FIXTURE = fileURLToPath(new URL('./reliability-peer.ts', import.meta.url))

export interface ChildPeerOptions {
  role?: 'daemon' | 'server'
  dataDir?: string
  bootstrap?: string[]
  inboundConnectionThreshold?: number
  maxConnections?: number
  /** dial nobody, not even the keep-alive peers remembered in the data directory */
  offline?: boolean
}

function forkReliabilityPeer (options: ChildPeerOptions): ChildProcess {
  return fork(FIXTURE, [], {
    env: { ...process.env, RELIABILITY_PEER: JSON.stringify(options) },
    // no loaders or inspector flags of the parent (mocha)
    execArgv: [],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc']
  })
}

export class ChildPeer {
  readonly child: ChildProcess
  peerId = ''
  addrs: string[] = []
  /** how it exited: a signal name, an exit code, or undefined while running */
  exit?: string
  stderr = ''
  private nextId = 0
  private readonly pending = new Map<number, (reply: any) => void>()
  readonly exited: Promise<string>

  private constructor (child: ChildProcess) {
    this.child = child
    this.child.stderr?.on('data', (chunk: Buffer) => {
      // keep the tail only
      this.stderr = (this.stderr + chunk.toString()).slice(-4000)
    })
    // a request sent as the process exits fails on its closed channel (EPIPE): the exit settles it
    this.child.on('error', (err: Error) => {
      this.stderr = (this.stderr + `\nchild process error: ${err.message}`).slice(-4000)
    })
    this.child.on('message', (message: any) => {
      if (message?.id != null) {
        this.pending.get(message.id)?.(message)
        this.pending.delete(message.id)
      }
    })
    this.exited = new Promise(resolve => {
      this.child.once('exit', (code, signal) => {
        this.exit = signal ?? `exit ${code}`
        for (const resolvePending of this.pending.values()) {
          resolvePending({ error: 'exited' })
        }
        this.pending.clear()
        resolve(this.exit)
      })
    })
  }

  /**
   * Starts a peer process and waits for its `ready` message. `launch` starts another peer program
   * speaking the same IPC protocol, or this one elsewhere (the NAT lab runs peers in namespaces).
   */
  static async start<Options = ChildPeerOptions> (options: Options, timeout = 60_000, launch: (options: Options) => ChildProcess = forkReliabilityPeer as any): Promise<ChildPeer> {
    const peer = new ChildPeer(launch(options))

    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`peer process not ready in ${timeout} ms: ${peer.stderr}`)) }, timeout)
      peer.child.on('message', (message: any) => {
        if (message?.type === 'ready') {
          clearTimeout(timer)
          peer.peerId = message.peerId
          peer.addrs = message.addrs
          resolve()
        }
      })
      peer.exited.then(exit => {
        clearTimeout(timer)
        reject(new Error(`peer process exited (${exit}) before it was ready: ${peer.stderr}`))
      }, () => {})
    })

    return peer
  }

  async request (type: string, body: Record<string, unknown> = {}, timeout = 30_000): Promise<any> {
    if (this.exit != null) {
      throw new Error(`peer process has exited (${this.exit})`)
    }

    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`no answer to ${type} in ${timeout} ms`))
      }, timeout)
      this.pending.set(id, reply => {
        clearTimeout(timer)
        if (reply.error != null) {
          reject(new Error(reply.error))
        } else {
          resolve(reply)
        }
      })
      this.child.send({ id, type, ...body })
    })
  }

  kill (signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.exit == null) {
      this.child.kill(signal)
    }
  }

  /**
   * Asks the peer to stop cleanly; kills it if it does not exit in time.
   */
  async stop (timeout = 15_000): Promise<void> {
    if (this.exit != null) {
      return
    }

    this.request('stop', {}, timeout).catch(() => {})
    const timer = setTimeout(() => { this.kill() }, timeout)
    await this.exited
    clearTimeout(timer)
  }
}
