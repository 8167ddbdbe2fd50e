/**
 * `docpeer block put|get`: raw IPFS blocks in a data directory's blockstore, and fetching one from a
 * peer over bitswap.
 *
 * Both subcommands open only the blockstore (`<data dir>/blocks`, one file per block, written
 * atomically), never the data directory's LevelDB datastore, so they work beside a daemon running
 * on the same data directory: a daemon started with `--helia` serves a block as soon as `block put`
 * wrote it. `block get --peer` fetches with a short-lived in-memory peer (fresh identity, no
 * listener), like `docpeer dial`.
 */
import { readFile } from 'node:fs/promises'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { parseMultiaddr } from '../../node/multiaddr.ts'
import { createPeer } from '../../node/peer.ts'
import { parseCommandArgs, parseSeconds } from '../args.ts'
import { getThroughDaemon } from '../block-through-daemon.ts'
import { DEFAULT_DATA_DIR, DEFAULT_GET_TIMEOUT, MAX_BLOCK_BYTES } from '../defaults.ts'
import { BLOCK_HELP } from '../help.ts'
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../io.ts'
import { whenPeerLacks } from '../remote-protocols.ts'
import { shortLivedPeerOptions } from '../short-lived.ts'
import type { OpenedBlockstore } from '../../helia/blockstore.ts'
import type { CliIO } from '../io.ts'
import type { Connection } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * The bitswap versions helia's bitswap speaks: a peer that lists none of them has no blocks to give.
 */
const BITSWAP_PROTOCOLS = ['/ipfs/bitswap/1.2.0', '/ipfs/bitswap/1.1.0', '/ipfs/bitswap/1.0.0']

export async function blockCommand (args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    'data-dir': { type: 'string' },
    peer: { type: 'string' },
    timeout: { type: 'string' }
  }, true)

  if (values.help === true) {
    io.out(BLOCK_HELP)
    return EXIT_OK
  }

  const [subcommand, ...operands] = positionals

  if (subcommand == null) {
    throw new UsageError('block needs a subcommand: put or get')
  }

  if (operands.length !== 1) {
    throw new UsageError(`block ${subcommand} takes exactly one ${subcommand === 'get' ? 'CID' : 'file (or -)'}, got ${operands.length}`)
  }

  const dataDir = values['data-dir'] as string | undefined

  if (subcommand === 'put') {
    if (values.peer != null || values.timeout != null) {
      throw new UsageError('--peer and --timeout only apply to block get')
    }

    return put(operands[0], dataDir ?? DEFAULT_DATA_DIR, io)
  }

  if (subcommand === 'get') {
    const cid = parseCid(operands[0])
    const peer = values.peer == null ? undefined : parsePeer(values.peer as string)
    const timeout = parseSeconds('timeout', values.timeout as string | undefined, DEFAULT_GET_TIMEOUT)

    return peer == null
      ? getLocal(cid, dataDir ?? DEFAULT_DATA_DIR, timeout, io)
      : getFromPeer(cid, peer, timeout, dataDir, io)
  }

  throw new UsageError(`unknown block subcommand "${subcommand}": use put or get`)
}

async function put (source: string, dataDir: string, io: CliIO): Promise<number> {
  let bytes: Uint8Array

  try {
    bytes = source === '-' ? await readAll(io.stdin) : await readFile(source)
  } catch (err: any) {
    io.err(`docpeer block put: cannot read ${source === '-' ? 'standard input' : source}: ${err.message}`)
    return EXIT_FAILURE
  }

  if (bytes.byteLength > MAX_BLOCK_BYTES) {
    io.err(`docpeer block put: ${source === '-' ? 'the input' : source} is ${bytes.byteLength} bytes; a block holds at most ${MAX_BLOCK_BYTES} bytes (split bigger files, e.g. with @helia/unixfs)`)
    return EXIT_FAILURE
  }

  const cid = CID.createV1(raw.code, await sha256.digest(bytes))
  const opened = await openBlocks(dataDir)

  try {
    await opened.blockstore.put(cid, bytes)
  } finally {
    await opened.close()
  }

  io.out(cid.toString())
  return EXIT_OK
}

async function getLocal (cid: CID, dataDir: string, timeout: number, io: CliIO): Promise<number> {
  const opened = await openBlocks(dataDir)

  try {
    if (!(await opened.blockstore.has(cid))) {
      // a daemon with helia running on the directory fetches it from its peers
      const fetched = await getThroughDaemon(cid, dataDir, timeout, io)

      if (fetched != null) {
        return fetched
      }

      io.err(`docpeer block get: block ${cid.toString()} is not in ${opened.location}; pass --peer MA to fetch it from a peer`)
      return EXIT_FAILURE
    }

    await writeBlock(opened, cid, io)
    return EXIT_OK
  } finally {
    await opened.close()
  }
}

async function getFromPeer (cid: CID, target: Multiaddr, timeout: number, dataDir: string | undefined, io: CliIO): Promise<number> {
  const signal = AbortSignal.any([AbortSignal.timeout(timeout), io.signal])
  const opened = dataDir == null ? undefined : await openBlocks(dataDir)
  let peer

  try {
    peer = await createPeer({ ...shortLivedPeerOptions(timeout), dht: false, helia: { blockstore: opened?.blockstore } })
    const helia = peer.helia

    if (helia == null) {
      throw new Error('the peer started without helia')
    }

    // a block already kept in the data directory needs no network
    let connection: Connection | undefined

    if (!(await helia.blockstore.has(cid, { signal }))) {
      try {
        connection = await peer.dial(target, { signal })
      } catch (err: any) {
        io.err(`docpeer block get: cannot reach ${target.toString()}: ${reason(err, signal, io, timeout)}`)
        return EXIT_FAILURE
      }
    }

    const chunks: Uint8Array[] = []
    const done = new AbortController()

    try {
      const received = (async () => {
        for await (const chunk of helia.blockstore.get(cid, { signal })) {
          chunks.push(chunk)
        }
      })()
      // a peer without helia does not speak bitswap: say so instead of waiting out the timeout
      const lacks = connection == null
        ? new Promise<void>(() => {})
        : whenPeerLacks(peer.libp2p, connection, BITSWAP_PROTOCOLS, done.signal).then(() => {
          throw new Error(`${target.toString()} has no bitswap (it does not run helia: start it with docpeer daemon --helia)`)
        })
      await Promise.race([received, lacks])
    } catch (err: any) {
      io.err(`docpeer block get: block ${cid.toString()} not received from ${target.toString()}: ${reason(err, signal, io, timeout)}`)
      return EXIT_FAILURE
    } finally {
      done.abort()
    }

    await io.write(Buffer.concat(chunks))
    return EXIT_OK
  } finally {
    await peer?.stop()
    await opened?.close()
  }
}

/**
 * The blockstore module (and blockstore-fs) is imported here, not at the top, so `docpeer daemon`
 * without `--helia` never loads it.
 */
async function openBlocks (dataDir: string): Promise<OpenedBlockstore> {
  const { openBlockstore } = await import('../../helia/blockstore.ts')
  return openBlockstore(dataDir)
}

async function writeBlock (opened: OpenedBlockstore, cid: CID, io: CliIO): Promise<void> {
  const chunks: Uint8Array[] = []

  for await (const chunk of opened.blockstore.get(cid)) {
    chunks.push(chunk)
  }

  await io.write(Buffer.concat(chunks))
}

function parseCid (text: string): CID {
  try {
    return CID.parse(text.trim())
  } catch (err: any) {
    throw new UsageError(`"${text}" is not a CID: ${err.message}`)
  }
}

function parsePeer (text: string): Multiaddr {
  try {
    return parseMultiaddr(text)
  } catch (err: any) {
    throw new UsageError(`--peer: ${err.message}`)
  }
}

function reason (err: any, signal: AbortSignal, io: CliIO, timeout: number): string {
  if (signal.aborted && !io.signal.aborted) {
    return `timed out after ${timeout / 1000} s`
  }

  if (err?.name === 'Error') {
    return String(err.message)
  }

  // helia wraps the broker's failure (e.g. an abort) in LoadBlockFailedError: the cause says more
  const cause = err?.errors?.[0]
  const detail = cause?.message != null && cause.message !== err.message ? `: ${cause.message}` : ''
  return `${err?.name ?? 'Error'}: ${err?.message ?? String(err)}${detail}`
}

async function readAll (source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let length = 0

  for await (const chunk of source) {
    chunks.push(chunk)
    length += chunk.byteLength

    // stop reading early: the size check after would refuse it anyway
    if (length > MAX_BLOCK_BYTES) {
      break
    }
  }

  return Buffer.concat(chunks)
}
