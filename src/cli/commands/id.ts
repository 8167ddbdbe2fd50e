/**
 * `docpeer id`: prints the peer id kept in a data directory, creating the directory and the key
 * when they do not exist. libp2p is not started.
 */
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { runningDaemonId } from '../../control/client.ts'
import { openDatastore } from '../../storage/datastore.ts'
import { loadIdentity } from '../../storage/identity.ts'
import { parseCommandArgs } from '../args.ts'
import { DEFAULT_DATA_DIR } from '../defaults.ts'
import { ID_HELP } from '../help.ts'
import { EXIT_OK } from '../io.ts'
import type { CliIO } from '../io.ts'

export async function idCommand (args: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs(args, {
    'data-dir': { type: 'string' }
  })

  if (values.help === true) {
    io.out(ID_HELP)
    return EXIT_OK
  }

  // a daemon running on the directory holds its datastore: ask it over the control socket
  const running = await runningDaemonId(String(values['data-dir'] ?? DEFAULT_DATA_DIR), { signal: io.signal })

  if (running != null) {
    io.out(running)
    return EXIT_OK
  }

  const storage = await openDatastore(String(values['data-dir'] ?? DEFAULT_DATA_DIR))

  try {
    const key = await loadIdentity(storage.datastore, storage.location)
    io.out(peerIdFromPrivateKey(key).toString())
  } finally {
    await storage.close()
  }

  return EXIT_OK
}
