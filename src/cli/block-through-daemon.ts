/**
 * `docpeer block get <cid>` without `--peer`, for a block the data directory lacks: a daemon
 * running on the directory with helia fetches it over bitswap from its connections (and keeps it).
 */
import { daemonBlock } from '../control/client.ts'
import { EXIT_FAILURE, EXIT_OK } from './io.ts'
import type { CliIO } from './io.ts'
import type { CID } from 'multiformats/cid'

/**
 * The exit code, or undefined when no daemon runs on `dataDir`.
 */
export async function getThroughDaemon (cid: CID, dataDir: string, timeout: number, io: CliIO): Promise<number | undefined> {
  let bytes: Uint8Array | undefined

  try {
    bytes = await daemonBlock(dataDir, cid.toString(), timeout, { signal: io.signal })
  } catch (err: any) {
    io.err(`docpeer block get: block ${cid.toString()} is not in ${dataDir}, and the daemon running there did not get it: ${String(err.message)}`)
    return EXIT_FAILURE
  }

  if (bytes == null) {
    return undefined
  }

  await io.write(bytes)
  return EXIT_OK
}
