/**
 * Who may read and write which document: a per-document list of libp2p peer ids with `read` or
 * `write` rights, and a right for everyone (`public`). A document without a list takes the
 * peer's mode: `open` (everyone may read and write, automerge-repo's own behaviour and a personal
 * daemon's default) or `restricted` (nobody but this peer: a server that serves only the documents
 * its owner shared or marked public).
 *
 * The list belongs to the peer that serves the document, not to the document: it is not synced, a
 * writer cannot grant itself more, and deciding costs a map lookup, not a document load.
 */
import { AccessListError } from './errors.ts'

export type Right = 'read' | 'write'
export type Level = 'none' | Right
export type AccessMode = 'open' | 'restricted'

/**
 * Stands for every peer in `share(url, PUBLIC, right)`.
 */
export const PUBLIC = 'public'

export interface DocumentAccess {
  /**
   * What any peer may do, beside the members.
   */
  public?: Right
  /**
   * libp2p peer id (string) to right.
   */
  members: Record<string, Right>
}

/**
 * The file form: `{ "version": 1, "documents": { "<documentId>": DocumentAccess } }`.
 */
export interface AccessListJSON {
  version: 1
  documents: Record<string, DocumentAccess>
}

const RIGHTS: readonly string[] = ['read', 'write']

function higher (a: Level, b: Level): Level {
  return a === 'write' || b === 'write' ? 'write' : a === 'read' || b === 'read' ? 'read' : 'none'
}

export class AccessList {
  readonly mode: AccessMode
  private documents = new Map<string, DocumentAccess>()

  constructor (mode: AccessMode = 'open') {
    if (mode !== 'open' && mode !== 'restricted') {
      throw new AccessListError(`Unknown access mode "${String(mode)}": use open or restricted`)
    }

    this.mode = mode
  }

  /**
   * What `peer` may do with the document.
   */
  rightOf (peer: string, documentId: string): Level {
    const entry = this.documents.get(documentId)

    if (entry == null) {
      return this.mode === 'open' ? 'write' : 'none'
    }

    return higher(entry.members[peer] ?? 'none', entry.public ?? 'none')
  }

  /**
   * Whether `peer` is named in the document's list (not just allowed through `public`).
   */
  isMember (peer: string, documentId: string): boolean {
    return this.documents.get(documentId)?.members[peer] != null
  }

  get (documentId: string): DocumentAccess | undefined {
    const entry = this.documents.get(documentId)
    return entry == null ? undefined : { ...entry, members: { ...entry.members } }
  }

  /**
   * Gives `who` (a peer id string or `PUBLIC`) `right` on the document. The first call makes the
   * document restricted: peers not named get only its public right.
   */
  set (documentId: string, who: string, right: Right): void {
    if (!RIGHTS.includes(right)) {
      throw new AccessListError(`Unknown right "${String(right)}": use read or write`)
    }

    const entry = this.documents.get(documentId) ?? { members: {} }

    if (who === PUBLIC) {
      entry.public = right
    } else {
      entry.members[who] = right
    }

    this.documents.set(documentId, entry)
  }

  /**
   * Takes `who`'s right away. The document stays restricted, even with nobody left on its list.
   */
  remove (documentId: string, who: string): void {
    const entry = this.documents.get(documentId)

    if (entry == null) {
      return
    }

    if (who === PUBLIC) {
      delete entry.public
    } else {
      delete entry.members[who]
    }
  }

  /**
   * Drops the document's list: it takes the peer's mode again.
   */
  clear (documentId: string): void {
    this.documents.delete(documentId)
  }

  toJSON (): AccessListJSON {
    return { version: 1, documents: Object.fromEntries(this.documents) }
  }

  /**
   * Replaces every list with those of `json` (the file form), checking its shape first.
   */
  load (json: unknown): void {
    this.documents = parseAccessList(json)
  }
}

export function parseAccessList (json: unknown): Map<string, DocumentAccess> {
  const value = json as Partial<AccessListJSON> | null

  if (value == null || typeof value !== 'object' || value.version !== 1 || value.documents == null || typeof value.documents !== 'object') {
    throw new AccessListError('An access list must be { "version": 1, "documents": { ... } }')
  }

  const documents = new Map<string, DocumentAccess>()

  for (const [documentId, entry] of Object.entries(value.documents)) {
    if (entry == null || typeof entry !== 'object' || entry.members == null || typeof entry.members !== 'object') {
      throw new AccessListError(`The access list of ${documentId} has no "members" object`)
    }

    if (entry.public != null && !RIGHTS.includes(entry.public)) {
      throw new AccessListError(`The public right of ${documentId} is "${String(entry.public)}": use read or write`)
    }

    for (const [peer, right] of Object.entries(entry.members)) {
      if (!RIGHTS.includes(right)) {
        throw new AccessListError(`The right of ${peer} on ${documentId} is "${String(right)}": use read or write`)
      }
    }

    documents.set(documentId, { ...(entry.public == null ? {} : { public: entry.public }), members: { ...entry.members } })
  }

  return documents
}
