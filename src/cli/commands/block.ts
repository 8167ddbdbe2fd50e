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
import { DEFAULT_DATA_DIR } from '../defaults.ts'
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../io.ts'
import type { OpenedBlockstore } from '../../helia/blockstore.ts'
import type { CliIO } from '../io.ts'
import type { Multiaddr } from '@multiformats/multiaddr'

const DEFAULT_GET_TIMEOUT = 30_000

/**
 * The largest block `block put` stores. kubo refuses bigger blocks the same way, and bitswap peers
 * (2 MiB limit in the IPFS spec, 4 MiB messages in helia) may refuse to send or take them.
 */
export const MAX_BLOCK_BYTES = 1024 * 1024

export const BLOCK_HELP = `Usage: docpeer block put <file|-> [--data-dir DIR]
       docpeer block get <cid> [--peer MA] [--timeout S] [--data-dir DIR]

put   stores the bytes of <file> (- reads standard input) as one raw block (CIDv1, raw codec,
      sha2-256) in the data directory's blockstore and prints its CID. At most ${MAX_BLOCK_BYTES / 1024 / 1024} MiB.
get   writes the bytes of block <cid> to standard output. Without --peer it reads the data
      directory's blockstore. With --peer it starts a short-lived peer (fresh identity, no listener),
      dials MA and fetches the block over bitswap; with --data-dir too, it looks there first and
      keeps the fetched block there.

Both only open <data dir>/blocks, so they work while a daemon runs on the same data directory;
a daemon started with --helia serves the blocks put there.

Options:
  --data-dir DIR   data directory (put, and get without --peer: default ${DEFAULT_DATA_DIR};
                   get --peer: none, the block is kept in memory)
  --peer MA        (get) fetch the block from the peer at this multiaddr
  --timeout S      (get) give up after S seconds (default ${DEFAULT_GET_TIMEOUT / 1000})
  -h, --help       show this help

Exit codes: 0 done, 1 block not found, peer unreachable or unreadable file, 2 bad command line.`

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
      ? getLocal(cid, dataDir ?? DEFAULT_DATA_DIR, io)
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

async function getLocal (cid: CID, dataDir: string, io: CliIO): Promise<number> {
  const opened = await openBlocks(dataDir)

  try {
    if (!(await opened.blockstore.has(cid))) {
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
    peer = await createPeer({ listen: [], mdns: false, dht: false, helia: { blockstore: opened?.blockstore } })
    const helia = peer.helia

    if (helia == null) {
      throw new Error('the peer started without helia')
    }

    // a block already kept in the data directory needs no network
    if (!(await helia.blockstore.has(cid, { signal }))) {
      try {
        await peer.dial(target, { signal })
      } catch (err: any) {
        io.err(`docpeer block get: cannot reach ${target.toString()}: ${reason(err, signal, io, timeout)}`)
        return EXIT_FAILURE
      }
    }

    const chunks: Uint8Array[] = []

    try {
      for await (const chunk of helia.blockstore.get(cid, { signal })) {
        chunks.push(chunk)
      }
    } catch (err: any) {
      io.err(`docpeer block get: block ${cid.toString()} not received from ${target.toString()}: ${reason(err, signal, io, timeout)}`)
      return EXIT_FAILURE
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
