/**
 * The client's end of the control API: what `docpeer status`, `peers`, `connect`, `disconnect`,
 * `id` and the `doc` commands call to reach the daemon running on a data directory. Light on
 * purpose (node:net and node:fs only): the CLI asks "is a daemon running here?" before loading libp2p.
 */
import { createConnection } from 'node:net'
import { ControlRequestError, ControlSocketError, DaemonNotRunningError } from './errors.ts'
import { onLines, writeLine } from './lines.ts'
import { checkedSocketPath } from './socket-file.ts'
import type { BlockGetResult, ConnectParams, ConnectResult, ConnectionInfo, ControlResponse, DisconnectResult, IdResult, StatusInfo, SyncAddressResult } from './protocol.ts'
import type { Socket } from 'node:net'

export interface RequestOptions {
  signal?: AbortSignal
  /**
   * Give up when the daemon has not answered in this time.
   *
   * @default 30_000
   */
  timeoutMs?: number
}

const DEFAULT_REQUEST_TIMEOUT = 30_000

export interface ControlClient {
  readonly path: string
  request<T = unknown>(method: string, params?: Record<string, unknown>, options?: RequestOptions): Promise<T>
  close(): void
}

/**
 * Connects to the daemon on `dataDir`. Resolves to undefined when none runs there: no socket, or a
 * stale one nobody answers on.
 */
export async function connectControl (dataDir: string): Promise<ControlClient | undefined> {
  const path = await checkedSocketPath(dataDir)

  if (path == null) {
    return undefined
  }

  const socket = await new Promise<Socket | undefined>((resolve, reject) => {
    const socket = createConnection({ path })
    socket.once('connect', () => {
      socket.removeAllListeners('error')
      resolve(socket)
    })
    socket.once('error', (err: any) => {
      socket.destroy()

      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') {
        resolve(undefined)
      } else {
        reject(new ControlSocketError(`Cannot connect to the control socket ${path}: ${err.message}`))
      }
    })
  })

  return socket == null ? undefined : controlClient(path, socket)
}

function controlClient (path: string, socket: Socket): ControlClient {
  const pending = new Map<number, { resolve(value: unknown): void, reject(err: Error): void }>()
  let nextId = 1
  let closedWith: Error | undefined

  const failAll = (err: Error): void => {
    closedWith ??= err
    pending.forEach(({ reject }) => { reject(err) })
    pending.clear()
  }

  socket.on('error', err => { failAll(new ControlSocketError(`The control connection failed: ${err.message}`)) })
  socket.on('close', () => { failAll(new ControlSocketError('The daemon closed the control connection (is it stopping?)')) })
  onLines(socket, line => {
    let response: ControlResponse

    try {
      response = JSON.parse(line)
    } catch {
      failAll(new ControlSocketError('The daemon sent a line that is not JSON'))
      socket.destroy()
      return
    }

    const waiting = pending.get(response.id)

    if (waiting == null) {
      return
    }

    pending.delete(response.id)

    if ('error' in response) {
      waiting.reject(new ControlRequestError(response.error.name, response.error.message))
    } else {
      waiting.resolve(response.result)
    }
  }, () => {
    failAll(new ControlSocketError('The daemon sent a line that is too long'))
    socket.destroy()
  })

  return {
    path,
    request: async <T>(method: string, params: Record<string, unknown> = {}, options: RequestOptions = {}): Promise<T> => {
      if (closedWith != null) {
        throw closedWith
      }

      options.signal?.throwIfAborted()
      const id = nextId++
      const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT

      return new Promise<T>((resolve, reject) => {
        const finish = (): void => {
          clearTimeout(timer)
          options.signal?.removeEventListener('abort', onAbort)
          pending.delete(id)
        }
        const onAbort = (): void => {
          finish()
          reject(options.signal?.reason)
        }
        const timer = setTimeout(() => {
          finish()
          reject(new ControlSocketError(`The daemon did not answer "${method}" within ${timeoutMs / 1000} s`))
        }, timeoutMs)

        pending.set(id, {
          resolve: value => {
            finish()
            resolve(value as T)
          },
          reject: err => {
            finish()
            reject(err)
          }
        })
        options.signal?.addEventListener('abort', onAbort, { once: true })
        writeLine(socket, { id, method, params })
      })
    },
    close: () => { socket.destroy() }
  }
}

/**
 * One request to the daemon on `dataDir`, on a connection of its own. Rejects with
 * `DaemonNotRunningError` when no daemon runs there.
 */
export async function controlRequest<T = unknown> (dataDir: string, method: string, params?: Record<string, unknown>, options?: RequestOptions): Promise<T> {
  const client = await connectControl(dataDir)

  if (client == null) {
    throw new DaemonNotRunningError(`No daemon is running on ${dataDir} (no control socket answers there); start one with docpeer daemon --data-dir ${dataDir}`)
  }

  try {
    return await client.request<T>(method, params, options)
  } finally {
    client.close()
  }
}

export async function status (dataDir: string, options?: RequestOptions): Promise<StatusInfo> {
  return controlRequest<StatusInfo>(dataDir, 'status', {}, options)
}

export async function peers (dataDir: string, verbose = false, options?: RequestOptions): Promise<ConnectionInfo[]> {
  return controlRequest<ConnectionInfo[]>(dataDir, 'peers', { verbose }, options)
}

export async function connect (dataDir: string, params: ConnectParams, options?: RequestOptions): Promise<ConnectResult> {
  return controlRequest<ConnectResult>(dataDir, 'connect', { ...params }, options)
}

export async function disconnect (dataDir: string, peerId: string, options?: RequestOptions): Promise<DisconnectResult> {
  return controlRequest<DisconnectResult>(dataDir, 'disconnect', { peerId }, options)
}

export async function id (dataDir: string, options?: RequestOptions): Promise<IdResult> {
  return controlRequest<IdResult>(dataDir, 'id', {}, options)
}

export async function syncAddress (dataDir: string, options?: RequestOptions): Promise<SyncAddressResult> {
  return controlRequest<SyncAddressResult>(dataDir, 'sync-address', {}, options)
}

/**
 * One request to the daemon on `dataDir` if one runs there; undefined when none does.
 */
async function requestIfRunning<T> (dataDir: string, method: string, options?: RequestOptions): Promise<T | undefined> {
  const client = await connectControl(dataDir)

  if (client == null) {
    return undefined
  }

  try {
    return await client.request<T>(method, {}, options)
  } finally {
    client.close()
  }
}

/**
 * The peer id of the daemon running on `dataDir`, or undefined when none runs there.
 */
export async function runningDaemonId (dataDir: string, options?: RequestOptions): Promise<string | undefined> {
  return (await requestIfRunning<IdResult>(dataDir, 'id', options))?.peerId
}

/**
 * Where a short-lived peer dials to sync documents with the daemon running on `dataDir`: undefined
 * when none runs there; rejects with the daemon's `NoDocumentsError` when it keeps none.
 */
export async function daemonSyncAddresses (dataDir: string, options?: RequestOptions): Promise<string[] | undefined> {
  return (await requestIfRunning<SyncAddressResult>(dataDir, 'sync-address', options))?.multiaddrs
}

/**
 * Asks the daemon on `dataDir` for a block, which it fetches over bitswap when it does not have
 * it. Undefined when no daemon runs there; rejects with `NoHeliaError` when it runs without helia.
 */
export async function daemonBlock (dataDir: string, cid: string, timeoutMs: number, options?: RequestOptions): Promise<Uint8Array | undefined> {
  const client = await connectControl(dataDir)

  if (client == null) {
    return undefined
  }

  try {
    const result = await client.request<BlockGetResult>('block-get', { cid, timeoutMs }, { ...options, timeoutMs: timeoutMs + 2_000 })
    return Buffer.from(result.bytes, 'base64')
  } finally {
    client.close()
  }
}
