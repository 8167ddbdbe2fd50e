/**
 * The `doc` commands that manage documents rather than edit them: `ls` and `rm` on the data
 * directory, `heads` (heads, number of changes, time of the last one), and `export` / `import` of
 * automerge's binary format (`Automerge.save()` / `load()`), which any automerge program reads.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { parseAutomergeUrl, stringifyAutomergeUrl } from '@automerge/automerge-repo'
import { Automerge } from '@automerge/automerge-repo/slim'
import { storedDocumentIds } from '../storage/document-list.ts'
import { persist } from './doc-session.ts'
import { EXIT_FAILURE, EXIT_OK } from './io.ts'
import type { DocSession } from './doc-session.ts'
import type { CliIO } from './io.ts'
import type { AutomergeUrl, DocHandle } from '@automerge/automerge-repo'

/**
 * One URL per line, in the order of their ids. Reads file names only, so it works while a daemon
 * runs on the directory.
 */
export async function listDocs (dataDir: string, io: CliIO): Promise<number> {
  for (const documentId of await storedDocumentIds(dataDir)) {
    io.out(stringifyAutomergeUrl({ documentId }))
  }

  return EXIT_OK
}

export async function removeDoc (session: DocSession, handle: DocHandle<unknown>, io: CliIO): Promise<number> {
  session.repo.delete(handle.url)
  // the Repo removes the stored chunks in the background; wait for it before the command exits
  await session.repo.storageSubsystem?.removeDoc(handle.documentId)
  io.out(`removed ${handle.url}`)
  return EXIT_OK
}

export interface DocHeads {
  url: AutomergeUrl
  heads: string[]
  changes: number
  /**
   * ISO time of the latest change (the time its author's clock gave), or null for a document with
   * no timed change.
   */
  lastChange: string | null
}

export function docHeads (handle: DocHandle<unknown>): DocHeads {
  const changes = Automerge.getAllChanges(handle.doc() as Automerge.Doc<unknown>)
  const latest = changes.reduce((max, change) => Math.max(max, Automerge.decodeChange(change).time), 0)

  return {
    url: handle.url,
    heads: handle.heads(),
    changes: changes.length,
    lastChange: latest === 0 ? null : new Date(latest * 1000).toISOString()
  }
}

export function showHeads (handle: DocHandle<unknown>, io: CliIO): void {
  io.out(JSON.stringify(docHeads(handle), null, 2))
}

export async function exportDoc (handle: DocHandle<unknown>, file: string, io: CliIO): Promise<number> {
  const bytes = Automerge.save(handle.doc() as Automerge.Doc<unknown>)

  if (file === '-') {
    await io.write(bytes)
    return EXIT_OK
  }

  try {
    await writeFile(file, bytes)
  } catch (err: any) {
    io.err(`docpeer doc export: cannot write ${file}: ${err.message}`)
    return EXIT_FAILURE
  }

  io.out(`${handle.url} saved to ${file} (${bytes.byteLength} bytes)`)
  return EXIT_OK
}

async function readInput (file: string, io: CliIO): Promise<Uint8Array> {
  if (file !== '-') {
    return readFile(file)
  }

  const chunks: Uint8Array[] = []

  for await (const chunk of io.stdin) {
    chunks.push(chunk)
  }

  return Buffer.concat(chunks)
}

/**
 * Loads a saved document: a new document, or merged into `into` (the same document elsewhere, or
 * a new one with that URL when this peer does not have it).
 */
export async function importDoc (session: DocSession, file: string, into: AutomergeUrl | undefined, signal: AbortSignal, io: CliIO): Promise<number> {
  let bytes: Uint8Array

  try {
    bytes = await readInput(file, io)
    // check it before the Repo sees it
    Automerge.load(bytes)
  } catch (err: any) {
    io.err(`docpeer doc import: ${file === '-' ? 'standard input' : file} is not a saved automerge document: ${err.message}`)
    return EXIT_FAILURE
  }

  let handle: DocHandle<unknown>

  if (into == null) {
    handle = session.repo.import(bytes)
  } else {
    const existing = await session.repo.find(into, { allowableStates: ['ready', 'unavailable'], signal }).catch(() => undefined)
    handle = existing ?? session.repo.import(bytes, { docId: parseAutomergeUrl(into).documentId })

    if (existing?.isReady() === true) {
      existing.update(doc => Automerge.loadIncremental(doc as Automerge.Doc<unknown>, bytes))
    } else {
      handle.update(doc => Automerge.loadIncremental(doc as Automerge.Doc<unknown>, bytes))
      handle.doneLoading()
    }
  }

  await persist(session, handle, signal)
  io.out(handle.url)
  return EXIT_OK
}
