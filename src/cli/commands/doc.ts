/**
 * `docpeer doc create|show|change|watch|heads|export|import|ls|rm`: automerge documents from the
 * command line, kept in a data directory or in a running peer reached with `--peer`.
 */
import { parseAutomergeUrl } from '@automerge/automerge-repo'
import { explainUnreadable } from '../../storage/unreadable-document.ts'
import { parseCommandArgs, parseSeconds } from '../args.ts'
import { DEFAULT_DATA_DIR, DEFAULT_DOC_TIMEOUT } from '../defaults.ts'
import { exportDoc, importDoc, listDocs, removeDoc, showHeads } from '../doc-admin.ts'
import { applyDocChange, parseDocChanges, planDocChanges } from '../doc-changes.ts'
import { checkUrl, openDocSession, persist } from '../doc-session.ts'
import { DOC_HELP } from '../help.ts'
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from '../io.ts'
import { docAccessCommand, isAccessSubcommand } from './doc-access.ts'
import type { DocSession } from '../doc-session.ts'
import type { CliIO } from '../io.ts'
import type { AutomergeUrl, DocHandle } from '@automerge/automerge-repo'

/**
 * Each command and the positionals it takes after its name: how many, and whether the first is a URL.
 */
const SUBCOMMANDS = {
  create: { url: false, min: 0, max: Infinity },
  show: { url: true, min: 1, max: 1 },
  change: { url: true, min: 2, max: Infinity },
  watch: { url: true, min: 1, max: 1 },
  heads: { url: true, min: 1, max: 1 },
  export: { url: true, min: 2, max: 2 },
  import: { url: false, min: 1, max: 1 },
  ls: { url: false, min: 0, max: 0 },
  rm: { url: true, min: 1, max: 1 }
} as const
type Subcommand = keyof typeof SUBCOMMANDS
const LOCAL_ONLY: readonly Subcommand[] = ['ls', 'rm']

function usageOf (sub: Subcommand): string {
  return DOC_HELP.split('\n').find(line => line.startsWith(`  docpeer doc ${sub}`))?.trim().split(/\s{3,}/)[0] ?? `docpeer doc ${sub}`
}

export async function docCommand (args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args

  if (sub == null) {
    io.err(DOC_HELP)
    return EXIT_USAGE
  }

  if (sub === '--help' || sub === '-h') {
    io.out(DOC_HELP)
    return EXIT_OK
  }

  if (isAccessSubcommand(sub)) {
    return docAccessCommand(sub, rest, io)
  }

  if (!Object.hasOwn(SUBCOMMANDS, sub)) {
    throw new UsageError(`unknown doc command "${sub}" (use ${[...Object.keys(SUBCOMMANDS), 'share', 'unshare', 'access'].join(', ')})`)
  }

  const { values, positionals } = parseCommandArgs(rest, {
    peer: { type: 'string' },
    'data-dir': { type: 'string' },
    timeout: { type: 'string' },
    content: { type: 'string' },
    url: { type: 'string' }
  }, true)

  if (values.help === true) {
    io.out(DOC_HELP)
    return EXIT_OK
  }

  const subcommand = sub as Subcommand
  const shape = SUBCOMMANDS[subcommand]
  const timeout = parseSeconds('timeout', values.timeout as string | undefined, DEFAULT_DOC_TIMEOUT)
  const peerAddr = values.peer as string | undefined
  // a short-lived peer keeps documents in memory unless told where; a local one uses the data dir
  const dataDir = (values['data-dir'] as string | undefined) ?? (peerAddr == null ? DEFAULT_DATA_DIR : undefined)

  // check everything typed before starting a peer
  if (positionals.length < shape.min || positionals.length > shape.max) {
    throw new UsageError(shape.url && positionals.length === 0 ? `doc ${subcommand} takes one URL: ${usageOf(subcommand)}` : `wrong number of arguments: ${usageOf(subcommand)}`)
  }

  if (peerAddr != null && LOCAL_ONLY.includes(subcommand)) {
    throw new UsageError(`doc ${subcommand} works on the local data directory (--data-dir), not through --peer`)
  }

  const url = shape.url ? checkUrl(positionals[0]) : undefined
  const importInto = values.url == null ? undefined : checkUrl(values.url as string)
  const changes = subcommand === 'change' ? parseDocChanges(positionals.slice(1)) : subcommand === 'create' && positionals.length > 0 ? parseDocChanges(positionals) : []
  const content = parseContent(values.content as string | undefined)

  if (subcommand === 'ls') {
    return listDocs(dataDir ?? DEFAULT_DATA_DIR, io)
  }

  const deadline = AbortSignal.any([AbortSignal.timeout(timeout), io.signal])
  const session = await openDocSession({ dataDir, peer: peerAddr, signal: deadline, timeout }, io)

  try {
    if (subcommand === 'create') {
      planDocChanges(content ?? {}, changes)
      const handle = session.repo.create<any>(content ?? {})

      if (changes.length > 0) {
        handle.change(doc => { changes.forEach(change => { applyDocChange(doc, change) }) })
      }

      await persist(session, handle, deadline)
      io.out(handle.url)
      return EXIT_OK
    }

    if (subcommand === 'import') {
      return await importDoc(session, positionals[0], importInto, deadline, io)
    }

    const handle = await find(session, url!, deadline)

    if (handle == null) {
      io.err(`docpeer doc ${subcommand}: document ${url!} is unavailable: ${peerAddr == null ? `it is not in ${dataDir!}; pass --peer MA to fetch it from a peer` : `${peerAddr} does not have it`}`)
      return EXIT_FAILURE
    }

    switch (subcommand) {
      case 'show':
        io.out(JSON.stringify(handle.doc(), null, 2))
        return EXIT_OK
      case 'change':
        // every change on a copy first: a bad one throws before the document is touched
        planDocChanges(handle.doc(), changes)
        handle.change(doc => { changes.forEach(change => { applyDocChange(doc, change) }) })
        await persist(session, handle, deadline)
        io.out(JSON.stringify(handle.doc(), null, 2))
        return EXIT_OK
      case 'heads':
        showHeads(handle, io)
        return EXIT_OK
      case 'export':
        return await exportDoc(handle, positionals[1], io)
      case 'rm':
        return await removeDoc(session, handle, io)
      default:
        return await watch(session, handle, io)
    }
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

async function find (session: DocSession, url: AutomergeUrl, signal: AbortSignal): Promise<DocHandle<any> | undefined> {
  try {
    return await session.repo.find<any>(url, { signal })
  } catch (err: any) {
    if (signal.aborted || /unavailable/.test(String(err.message))) {
      return undefined
    }

    throw await explainUnreadable(session.repo, parseAutomergeUrl(url).documentId, err)
  }
}

/**
 * Prints the document, then each new version as one JSON line, until SIGINT/SIGTERM (exit 0) or
 * until the peer of `--peer` goes away (exit 1: nothing more will arrive).
 */
async function watch (session: DocSession, handle: DocHandle<any>, io: CliIO): Promise<number> {
  io.out(JSON.stringify(handle.doc()))
  const onChange = ({ doc }: { doc: unknown }): void => { io.out(JSON.stringify(doc)) }
  handle.on('change', onChange)

  try {
    const stopped = new Promise<number>(resolve => {
      if (io.signal.aborted) {
        resolve(EXIT_OK)
      }

      io.signal.addEventListener('abort', () => { resolve(EXIT_OK) }, { once: true })
    })
    const gone = session.remoteGone?.then(() => {
      io.err(`docpeer doc watch: disconnected from ${session.remote?.remotePeer.toString() ?? 'the peer'}; no more changes will arrive`)
      return EXIT_FAILURE
    })

    return await Promise.race(gone == null ? [stopped] : [stopped, gone])
  } finally {
    handle.off('change', onChange)
  }
}
