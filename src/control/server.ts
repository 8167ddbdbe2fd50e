/**
 * The daemon's end of the control API: listens on the data directory's control socket (owner-only,
 * see socket-file.ts) and answers each request line with a response line. The methods are plain
 * async functions (handlers.ts); this file knows only the wire.
 */
import { chmod, unlink } from 'node:fs/promises'
import { createServer } from 'node:net'
import { ControlSocketError, InvalidControlRequestError } from './errors.ts'
import { onLines, writeLine } from './lines.ts'
import { clearStaleSocket, prepareControlDir } from './socket-file.ts'
import type { ControlRequest } from './protocol.ts'
import type { Logger } from '@libp2p/interface'
import type { Socket } from 'node:net'

export type ControlMethod = (params: Record<string, unknown>) => Promise<unknown>

export interface ControlServerInit {
  dataDir: string
  methods: Record<string, ControlMethod>
  log: Logger
}

export interface ControlServer {
  /**
   * The socket's path.
   */
  path: string
  /**
   * Stops listening, drops connected clients and removes the socket file.
   */
  close(): Promise<void>
}

function errorBody (err: any): { name: string, message: string } {
  return { name: String(err?.name ?? 'Error'), message: String(err?.message ?? err) }
}

function parseRequest (line: string): ControlRequest {
  let request: any

  try {
    request = JSON.parse(line)
  } catch (err: any) {
    throw new InvalidControlRequestError(`A request is one JSON object per line: ${err.message}`)
  }

  if (request == null || typeof request !== 'object' || typeof request.method !== 'string' || typeof request.id !== 'number') {
    throw new InvalidControlRequestError('A request needs a numeric "id" and a string "method"')
  }

  if (request.params != null && (typeof request.params !== 'object' || Array.isArray(request.params))) {
    throw new InvalidControlRequestError('"params" must be an object')
  }

  return request
}

export async function startControlServer (init: ControlServerInit): Promise<ControlServer> {
  await prepareControlDir(init.dataDir)
  const path = await clearStaleSocket(init.dataDir)
  const clients = new Set<Socket>()
  const { log, methods } = init

  const answer = async (socket: Socket, line: string): Promise<void> => {
    let id: number | null = null

    try {
      const request = parseRequest(line)
      id = request.id
      const method = Object.hasOwn(methods, request.method) ? methods[request.method] : undefined

      if (method == null) {
        throw new InvalidControlRequestError(`Unknown method "${request.method}" (known: ${Object.keys(methods).join(', ')})`)
      }

      writeLine(socket, { id, result: await method(request.params ?? {}) })
    } catch (err: any) {
      log('control request failed - %e', err)
      writeLine(socket, { id, error: errorBody(err) })
    }
  }

  const server = createServer(socket => {
    clients.add(socket)
    socket.on('close', () => clients.delete(socket))
    socket.on('error', err => { log('control client error - %e', err) })
    onLines(socket, line => { void answer(socket, line) }, () => {
      writeLine(socket, { id: null, error: errorBody(new InvalidControlRequestError('Request line too long')) })
      socket.end()
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: any) => {
      reject(new ControlSocketError(`Cannot listen on the control socket ${path}: ${err.message}`))
    })
    server.listen(path, () => { resolve() })
  })

  // the directory is already owner-only; the socket too, for anyone who loosens the directory
  await chmod(path, 0o600)
  log('control socket listening on %s', path)

  let closing: Promise<void> | undefined

  return {
    path,
    close: async () => {
      closing ??= (async () => {
        clients.forEach(socket => { socket.destroy() })
        await new Promise<void>(resolve => { server.close(() => { resolve() }) })
        await unlink(path).catch(() => {})
      })()
      await closing
    }
  }
}
