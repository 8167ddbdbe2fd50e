/**
 * `docpeer doc share|unshare|access`: a document's access list in a data directory
 * (`DIR/access.json`). They edit the file only, so they work while the daemon runs: it watches the
 * file and applies the change to live connections.
 */
import { AccessController, PUBLIC } from '../../access/index.ts'
import { accessStore } from '../../storage/access-store.ts'
import { parseCommandArgs } from '../args.ts'
import { DEFAULT_DATA_DIR } from '../defaults.ts'
import { EXIT_OK, UsageError } from '../io.ts'
import type { CliIO } from '../io.ts'

export const ACCESS_SUBCOMMANDS = ['share', 'unshare', 'access'] as const
export type AccessSubcommand = typeof ACCESS_SUBCOMMANDS[number]

export function isAccessSubcommand (sub: string): sub is AccessSubcommand {
  return (ACCESS_SUBCOMMANDS as readonly string[]).includes(sub)
}

export async function docAccessCommand (sub: AccessSubcommand, rest: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(rest, {
    'data-dir': { type: 'string' },
    read: { type: 'boolean' },
    write: { type: 'boolean' }
  }, true)
  const args = { dataDir: String(values['data-dir'] ?? DEFAULT_DATA_DIR), read: values.read === true, write: values.write === true }
  const [url, who, ...extra] = positionals
  const wanted = sub === 'access' ? 1 : 2

  if (url == null || (wanted === 2 && who == null) || extra.length > 0 || (wanted === 1 && who != null)) {
    throw new UsageError(sub === 'access' ? 'doc access takes one URL' : `doc ${sub} takes a URL and a peer id (or "${PUBLIC}")`)
  }

  if (args.read === true && args.write === true) {
    throw new UsageError('--read and --write exclude each other')
  }

  const access = new AccessController({ store: accessStore(args.dataDir) })

  try {
    await access.start()

    if (sub === 'share') {
      await access.share(url, who, args.write === true ? 'write' : 'read')
    } else if (sub === 'unshare') {
      await access.unshare(url, who)
    }

    const info = access.get(url)
    io.out(`${info.documentId}: ${info.restricted ? 'restricted' : 'open'}, public: ${info.public}`)

    for (const member of info.members) {
      io.out(`  ${member.peerId} ${member.right}`)
    }
  } catch (err: any) {
    if (err.name === 'AccessListError') {
      throw new UsageError(err.message)
    }
    throw err
  } finally {
    access.stop()
  }

  return EXIT_OK
}
