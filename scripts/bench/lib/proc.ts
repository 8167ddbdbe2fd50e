/**
 * The parent side of a benchmark process: each peer of a workload runs in a child process of its
 * own (its own event loop, its own peak RSS), driven over Node's IPC channel. A call names a
 * function in a workload module (`'docs#create'`); the child imports that module on first use,
 * so a process only loads what its side needs (an anchor process never loads libp2p).
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url))

export interface ProcOptions {
  /**
   * Extra Node flags, e.g. `--cpu-prof`.
   */
  execArgv?: string[]
}

interface Pending {
  resolve(value: any): void
  reject(err: Error): void
}

export class BenchProcess {
  readonly name: string
  private readonly child: ChildProcess
  private readonly pending = new Map<number, Pending>()
  private readonly listeners = new Map<string, Array<(data: any) => void>>()
  private nextId = 0
  private exited = false
  private readonly exitPromise: Promise<void>

  constructor (name: string, options: ProcOptions = {}) {
    this.name = name
    this.child = fork(CHILD, [name], {
      execPath: process.execPath,
      // automerge-repo's throttle sets negative timeouts; the warning is noise here
      execArgv: ['--disable-warning=ExperimentalWarning', '--disable-warning=TimeoutNegativeWarning', ...(options.execArgv ?? [])],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    })

    this.child.on('message', (msg: any) => {
      if (msg.event != null) {
        for (const listener of this.listeners.get(msg.event) ?? []) {
          listener(msg.data)
        }
        return
      }

      const pending = this.pending.get(msg.id)
      this.pending.delete(msg.id)

      if (msg.ok === true) {
        pending?.resolve(msg.value)
      } else {
        pending?.reject(new Error(`${this.name}: ${msg.error}`))
      }
    })

    this.exitPromise = new Promise(resolve => {
      this.child.on('exit', (code, signal) => {
        this.exited = true
        for (const pending of this.pending.values()) {
          pending.reject(new Error(`${this.name} exited (code ${code}, signal ${signal})`))
        }
        this.pending.clear()
        resolve()
      })
    })
  }

  /**
   * Calls `fn` of `scripts/bench/peers/<module>.ts` in the child.
   */
  async call<T = any> (method: string, ...args: any[]): Promise<T> {
    if (this.exited) {
      throw new Error(`${this.name} has exited`)
    }

    const id = this.nextId++
    const result = new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
    })
    this.child.send({ id, method, args })
    return result
  }

  on (event: string, listener: (data: any) => void): void {
    const list = this.listeners.get(event) ?? []
    list.push(listener)
    this.listeners.set(event, list)
  }

  /**
   * Peak resident set size of the child so far, in MiB.
   */
  async peakRssMiB (): Promise<number> {
    const kib: number = await this.call('sys#maxRss')
    return kib / 1024
  }

  get pid (): number | undefined {
    return this.child.pid
  }

  /**
   * Kills the child at once (a crash, for fail-over workloads); `stop()` then returns at once.
   */
  async kill (): Promise<void> {
    if (!this.exited) {
      this.child.kill('SIGKILL')
    }
    await this.exitPromise
  }

  /**
   * Asks the child to exit (it flushes a CPU profile if one is being written), and kills it if it
   * does not within a few seconds.
   */
  async stop (): Promise<void> {
    if (this.exited) {
      return
    }

    this.child.send({ id: -1, method: 'sys#exit', args: [] })
    const timer = setTimeout(() => { this.child.kill('SIGKILL') }, 5000)
    await this.exitPromise
    clearTimeout(timer)
  }
}
