/**
 * The daemon's options about who gets in: `--access open|restricted`, `--swarm-key FILE`, and
 * where the automerge WebSocket bridge listens (`--automerge-ws [HOST:]PORT`, `--automerge-ws-token`).
 */
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { parseSwarmKey } from '../node/swarm-key.ts'
import { UsageError } from './io.ts'
import type { AccessMode } from '../access/index.ts'

export interface BridgeAddress {
  host: string
  port: number
  token?: string
}

const LOOPBACK = '127.0.0.1'

function isLoopback (host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.')
}

/**
 * `PORT` or `HOST:PORT` (`[IPv6]:PORT`). Without a host the bridge listens on the daemon's `--host`,
 * or on loopback. Off loopback it always needs a token: one is made when none is given.
 */
export function bridgeAddress (value: string | undefined, daemonHost: string | undefined, token: string | undefined): BridgeAddress | undefined {
  if (value == null) {
    if (token != null) {
      throw new UsageError('--automerge-ws-token needs --automerge-ws')
    }
    return undefined
  }

  const match = /^(?:\[([^\]]+)\]:|([^:]+):)?(\d+)$/.exec(value)
  const host = match?.[1] ?? match?.[2] ?? daemonHost ?? LOOPBACK
  const port = Number(match?.[3])

  if (match == null || !Number.isInteger(port) || port > 65535) {
    throw new UsageError(`--automerge-ws must be PORT or HOST:PORT (0-65535), got "${value}"`)
  }

  if (host !== 'localhost' && isIP(host) === 0) {
    throw new UsageError(`--automerge-ws: "${host}" is not an IP address`)
  }

  if (token != null && token.length === 0) {
    throw new UsageError('--automerge-ws-token must not be empty')
  }

  return { host, port, token: token ?? (isLoopback(host) ? undefined : randomBytes(18).toString('base64url')) }
}

export function accessMode (value: string | undefined): AccessMode | undefined {
  if (value != null && value !== 'open' && value !== 'restricted') {
    throw new UsageError(`--access must be open or restricted, got "${value}"`)
  }
  return value
}

export async function readSwarmKey (path: string | undefined): Promise<string | undefined> {
  if (path == null) {
    return undefined
  }

  let text: string

  try {
    text = await readFile(path, 'utf8')
  } catch (err: any) {
    throw new UsageError(`--swarm-key: cannot read ${path}: ${err.message}`)
  }

  try {
    parseSwarmKey(text)
  } catch (err: any) {
    throw new UsageError(`--swarm-key: ${path}: ${err.message}`)
  }

  return text
}
