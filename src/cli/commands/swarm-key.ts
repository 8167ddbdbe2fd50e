/**
 * `docpeer swarm-key new [FILE]`: makes a private network's key (the format of IPFS's swarm.key),
 * written to FILE (refusing to overwrite one) or printed.
 */
import { writeFile } from 'node:fs/promises'
import { newSwarmKey } from '../../node/swarm-key.ts'
import { parseCommandArgs } from '../args.ts'
import { SWARM_KEY_HELP } from '../help.ts'
import { EXIT_OK, UsageError } from '../io.ts'
import type { CliIO } from '../io.ts'

export async function swarmKeyCommand (args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {}, true)

  if (values.help === true) {
    io.out(SWARM_KEY_HELP)
    return EXIT_OK
  }

  const [sub, file, ...extra] = positionals

  if (sub !== 'new' || extra.length > 0) {
    throw new UsageError('use: docpeer swarm-key new [FILE]')
  }

  const key = newSwarmKey()

  if (file == null) {
    io.out(key)
    return EXIT_OK
  }

  try {
    // 0600: the key is the network's only secret
    await writeFile(file, key + '\n', { flag: 'wx', mode: 0o600 })
  } catch (err: any) {
    throw new UsageError(err.code === 'EEXIST' ? `${file} exists: not overwriting a swarm key` : `cannot write ${file}: ${err.message}`)
  }

  io.out(`wrote a new swarm key to ${file}`)
  return EXIT_OK
}
