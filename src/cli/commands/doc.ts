/**
 * `docpeer doc create|show|change|watch`: automerge documents from the command line, kept in a data
 * directory or in a running peer reached with `--peer`.
 */
import { parseCommandArgs, parseSeconds } from '../args.ts'
import { DEFAULT_DATA_DIR } from '../defaults.ts'
import { applyDocChange, parseDocChanges } from '../doc-changes.ts'
import { checkUrl, openDocSession, persist } from '../doc-session.ts'
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../io.ts'
import { DOC_ACCESS_HELP, docAccessCommand, isAccessSubcommand } from './doc-access.ts'
import type { DocSession } from '../doc-session.ts'
import type { CliIO } from '../io.ts'
import type { DocHandle } from '@automerge/automerge-repo'

const DEFAULT_DOC_TIMEOUT = 30_000

export const DOC_HELP = `Usage: docpeer doc <create|show|change|watch> [options]

  docpeer doc create [path=value ...] [--content JSON]   create a document, print its URL
  docpeer doc show <url>                                 print a document as JSON
  docpeer doc change <url> <change> [<change> ...]       change a document
  docpeer doc watch <url>                                print each new version until Ctrl-C
${DOC_ACCESS_HELP}

Changes: path=value sets a field (path with dots or slashes: todos.0.done, /todos/0/done; the value
is JSON when it parses as JSON, a string otherwise), or a JSON Patch operation / array with add,
replace and remove ('{"op":"add","path":"/todos/-","value":{"title":"milk"}}').

Where documents live:
  --peer MA        work through the peer at MA (e.g. a running daemon): a short-lived peer syncs with
                   it, fetching documents from it, and waits until it confirms changes before exiting
  --data-dir DIR   the local data directory (default ${DEFAULT_DATA_DIR}); it must not be in use by a
                   running daemon (use --peer with that daemon's address instead). With --peer, the
                   short-lived peer keeps its copy here too.

Options:
  --timeout S      give up after S seconds (default ${DEFAULT_DOC_TIMEOUT / 1000})
  --content JSON   initial content of a new document (create)
  -h, --help       show this help`

const SUBCOMMANDS = ['create', 'show', 'change', 'watch'] as const
type Subcommand = typeof SUBCOMMANDS[number]

export async function docCommand (args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args

  if (sub == null || sub === '--help' || sub === '-h') {
    io.out(DOC_HELP)
    return sub == null ? 2 : EXIT_OK
  }

  if (isAccessSubcommand(sub)) {
    return docAccessCommand(sub, rest, io)
  }

  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
    throw new UsageError(`unknown doc command "${sub}" (use ${SUBCOMMANDS.join(', ')})`)
  }

  const { values, positionals } = parseCommandArgs(rest, {
    peer: { type: 'string' },
    'data-dir': { type: 'string' },
    timeout: { type: 'string' },
    content: { type: 'string' }
  }, true)

  if (values.help === true) {
    io.out(DOC_HELP)
    return EXIT_OK
  }

  const timeout = parseSeconds('timeout', values.timeout as string | undefined, DEFAULT_DOC_TIMEOUT)
  const peerAddr = values.peer as string | undefined
  // a short-lived peer keeps documents in memory unless told where; a local one uses the data dir
  const dataDir = (values['data-dir'] as string | undefined) ?? (peerAddr == null ? DEFAULT_DATA_DIR : undefined)
  const subcommand = sub as Subcommand

  // check everything typed before starting a peer
  const url = subcommand === 'create' ? undefined : checkUrl(positionals[0])
  const changeArgs = subcommand === 'create' ? positionals : positionals.slice(1)
  const changes = subcommand === 'change' || changeArgs.length > 0 ? parseDocChanges(changeArgs) : []
  const content = parseContent(values.content as string | undefined)

  if ((subcommand === 'show' || subcommand === 'watch') && positionals.length !== 1) {
    throw new UsageError(`doc ${subcommand} takes one URL`)
  }

  const deadline = AbortSignal.any([AbortSignal.timeout(timeout), io.signal])
  const session = await openDocSession({ dataDir, peer: peerAddr, signal: deadline }, io)

  try {
    if (subcommand === 'create') {
      const handle = session.repo.create<any>(content ?? {})

      if (changes.length > 0) {
        handle.change(doc => { changes.forEach(change => { applyDocChange(doc, change) }) })
      }

      await persist(session, handle, deadline)
      io.out(handle.url)
      return EXIT_OK
    }

    const handle = await find(session, url!, deadline)

    if (handle == null) {
      io.err(`docpeer doc ${subcommand}: document ${url!} is unavailable: ${peerAddr == null ? `it is not in ${dataDir!}; pass --peer MA to fetch it from a peer` : `${peerAddr} does not have it`}`)
      return EXIT_FAILURE
    }

    if (subcommand === 'show') {
      io.out(JSON.stringify(handle.doc(), null, 2))
      return EXIT_OK
    }

    if (subcommand === 'change') {
      handle.change(doc => { changes.forEach(change => { applyDocChange(doc, change) }) })
      await persist(session, handle, deadline)
      io.out(JSON.stringify(handle.doc(), null, 2))
      return EXIT_OK
    }

    await watch(handle, io)
    return EXIT_OK
  } finally {
    await session.close()
  }
}

function parseContent (text: string | undefined): Record<string, unknown> | undefined {
  if (text == null) {
    return undefined
  }

  let content: unknown

  try {
    content = JSON.parse(text)
  } catch (err: any) {
    throw new UsageError(`--content is not valid JSON: ${err.message}`)
  }

  if (content == null || typeof content !== 'object' || Array.isArray(content)) {
    throw new UsageError('--content must be a JSON object')
  }

  return content as Record<string, unknown>
}

async function find (session: DocSession, url: string, signal: AbortSignal): Promise<DocHandle<any> | undefined> {
  try {
    return await session.repo.find<any>(url as any, { signal })
  } catch (err: any) {
    if (signal.aborted || /unavailable/.test(String(err.message))) {
      return undefined
    }

    throw err
  }
}

/**
 * Prints the document, then each new version as one JSON line, until SIGINT/SIGTERM.
 */
async function watch (handle: DocHandle<any>, io: CliIO): Promise<void> {
  io.out(JSON.stringify(handle.doc()))
  const onChange = ({ doc }: { doc: unknown }): void => { io.out(JSON.stringify(doc)) }
  handle.on('change', onChange)

  try {
    if (!io.signal.aborted) {
      await new Promise(resolve => io.signal.addEventListener('abort', resolve, { once: true }))
    }
  } finally {
    handle.off('change', onChange)
  }
}
