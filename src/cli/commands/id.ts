/**
 * `docpeer id`: prints the peer id kept in a data directory. A directory that does not exist is
 * refused (a mistyped path must not print a new identity as if it were the daemon's); `--create`
 * makes it and a key. libp2p is not started.
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { runningDaemonId } from '../../control/client.ts'
import { openDatastore } from '../../storage/datastore.ts'
import { loadIdentity } from '../../storage/identity.ts'
import { parseCommandArgs } from '../args.ts'
import { DEFAULT_DATA_DIR } from '../defaults.ts'
import { ID_HELP } from '../help.ts'
import { EXIT_FAILURE, EXIT_OK } from '../io.ts'
import type { CliIO } from '../io.ts'

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
  // a daemon running on the directory holds its datastore: ask it over the control socket
  const running = await runningDaemonId(dataDir, { signal: io.signal })

  if (running != null) {
    io.out(running)
    return EXIT_OK
  }

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
