/**
 * The control socket's place on disk: an owner-only directory in the data directory, checked before
 * anything listens or connects there, and a stale socket left by a killed daemon told apart from a
 * live one by connecting to it.
 */
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises'
import { createConnection } from 'node:net'
import { userInfo } from 'node:os'
import { ControlSocketError } from './errors.ts'
import { controlDirPath, controlSocketPath } from './protocol.ts'

/**
 * sun_path holds 108 bytes on Linux (104 on macOS), the terminating NUL included.
 */
const MAX_SOCKET_PATH = 103

function ownUid (): number | undefined {
  try {
    const uid = userInfo().uid
    // -1 on Windows
    return uid >= 0 ? uid : undefined
  } catch {
    return undefined
  }
}

/**
 * Creates (or checks) the control directory: a directory, ours, mode 0700.
 */
export async function prepareControlDir (dataDir: string): Promise<string> {
  const dir = controlDirPath(dataDir)

  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
  } catch (err: any) {
    throw new ControlSocketError(`Cannot create the control directory ${dir}: ${err.message}`)
  }

  const stats = await lstat(dir)
  const uid = ownUid()

  if (!stats.isDirectory()) {
    throw new ControlSocketError(`${dir} is not a directory; remove it so the daemon can put its control socket there`)
  }

  if (uid != null && stats.uid !== uid) {
    throw new ControlSocketError(`${dir} belongs to uid ${stats.uid}, not to this user (uid ${uid}); refusing to put the control socket there`)
  }

  if ((stats.mode & 0o077) !== 0) {
    await chmod(dir, 0o700)
  }

  return dir
}

/**
 * Throws unless the socket path fits in a Unix socket address.
 */
export function checkSocketPathLength (path: string): void {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    throw new ControlSocketError(`The control socket path ${path} is ${Buffer.byteLength(path)} bytes, longer than a Unix socket address holds (${MAX_SOCKET_PATH}); use a shorter --data-dir or --no-control`)
  }
}

/**
 * Whether something accepts connections on the socket at `path`.
 */
export async function socketAnswers (path: string, timeoutMs = 2_000): Promise<boolean> {
  return new Promise(resolve => {
    const socket = createConnection({ path })
    const done = (answers: boolean): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(answers)
    }
    const timer = setTimeout(() => { done(true) }, timeoutMs)
    socket.once('connect', () => { done(true) })
    socket.once('error', () => { done(false) })
  })
}

/**
 * Before listening: removes a socket no one answers on (a daemon killed before it could remove
 * it), refuses to touch anything else.
 */
export async function clearStaleSocket (dataDir: string): Promise<string> {
  const path = controlSocketPath(dataDir)
  checkSocketPathLength(path)
  const stats = await lstat(path).catch((err: any) => {
    if (err.code === 'ENOENT') {
      return undefined
    }

    throw new ControlSocketError(`Cannot read ${path}: ${err.message}`)
  })

  if (stats == null) {
    return path
  }

  if (!stats.isSocket()) {
    throw new ControlSocketError(`${path} exists and is not a socket; remove it`)
  }

  if (await socketAnswers(path)) {
    throw new ControlSocketError(`Another process answers on the control socket ${path}`)
  }

  await unlink(path)
  return path
}

/**
 * The socket a client may connect to: a socket, owned by this user. Undefined when there is none.
 */
export async function checkedSocketPath (dataDir: string): Promise<string | undefined> {
  const path = controlSocketPath(dataDir)
  const stats = await lstat(path).catch(() => undefined)

  if (stats == null) {
    return undefined
  }

  const uid = ownUid()

  if (!stats.isSocket()) {
    throw new ControlSocketError(`${path} is not a socket`)
  }

  if (uid != null && stats.uid !== uid) {
    throw new ControlSocketError(`The control socket ${path} belongs to uid ${stats.uid}, not to this user (uid ${uid}); refusing to talk to it`)
  }

  return path
}
