/**
 * `docpeer id`: prints the peer id kept in a data directory. A directory that does not exist is
 * refused (a mistyped path must not print a new identity as if it were the daemon's); `--create`
 * makes it and a key. libp2p is not started.
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { openDatastore } from '../../storage/datastore.ts'
import { loadIdentity } from '../../storage/identity.ts'
import { parseCommandArgs } from '../args.ts'
import { DEFAULT_DATA_DIR } from '../defaults.ts'
import { EXIT_FAILURE, EXIT_OK } from '../io.ts'
import type { CliIO } from '../io.ts'

export const ID_HELP = `Usage: docpeer id [--data-dir DIR] [--create]

Prints the peer id stored in a data directory. A data directory that does not exist is an error
(exit 1) unless --create is given; a key that is damaged or missing is never replaced (exit 1,
KeyStoreError).

Options:
  --data-dir DIR   data directory (default ${DEFAULT_DATA_DIR})
  --create         create the data directory and a new key when there is none
  -h, --help       show this help`

export async function idCommand (args: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs(args, {
    'data-dir': { type: 'string' },
    create: { type: 'boolean' }
  })

  if (values.help === true) {
    io.out(ID_HELP)
    return EXIT_OK
  }

  const dataDir = String(values['data-dir'] ?? DEFAULT_DATA_DIR)

  if (values.create !== true && !existsSync(dataDir)) {
    io.err(`docpeer id: there is no data directory ${resolve(dataDir)}. Check the path (a daemon started with --data-dir DIR keeps its key there), or pass --create to make a new one.`)
    return EXIT_FAILURE
  }

  const storage = await openDatastore(dataDir)

  try {
    const key = await loadIdentity(storage.datastore, storage.location)
    io.out(peerIdFromPrivateKey(key).toString())
  } finally {
    await storage.close()
  }

  return EXIT_OK
}
