/**
 * The changes `docpeer doc change` understands:
 *
 * `path=value` sets a field. The path uses dots or slashes (`todos.0.done`, `/todos/0/done`); the
 * value is JSON when it parses as JSON (`n=3`, `done=true`, `tags=["a"]`), a string otherwise.
 * Missing containers on the way are created: a list where the next segment is a number (`0`, or
 * `-` for "append"), an object otherwise; a number that is not the next free index is refused.
 *
 * A JSON Patch (RFC 6902) operation or array of operations: `add`, `remove`, `replace`, `move`,
 * `copy` and `test`, with paths that are JSON Pointers (RFC 6901: "" or "/" segments, `~0` and `~1`
 * escapes). As RFC 6902 says, a patch applies whole or not at all: `planDocChanges` runs every
 * change on a plain copy of the document first, so a bad path, a failed `test` or an index out of
 * range throws a `UsageError` (exit 2) before the document is touched.
 */
import { UsageError } from './io.ts'

export type DocChange =
  | { op: 'set', path: string[], value: unknown, text: string }
  | { op: 'add' | 'replace' | 'test', path: string[], value: unknown, text: string }
  | { op: 'remove', path: string[], text: string }
  | { op: 'move' | 'copy', from: string[], path: string[], text: string }

const PATCH_OPS = ['add', 'remove', 'replace', 'move', 'copy', 'test']

/**
 * A JSON Pointer (RFC 6901): "" is the whole document, otherwise "/" and segments in which "~1"
 * stands for "/" and "~0" for "~" (any other "~" is an error).
 */
export function parsePointer (pointer: string, where: string): string[] {
  if (pointer === '') {
    return []
  }

  if (!pointer.startsWith('/')) {
    throw new UsageError(`${where}: "${pointer}" is not a JSON Pointer (RFC 6901: it starts with "/", e.g. /items/0)`)
  }

  return pointer.slice(1).split('/').map(segment => {
    if (/~[^01]|~$/.test(segment)) {
      throw new UsageError(`${where}: "${pointer}" has a "~" that is not ~0 or ~1 (RFC 6901)`)
    }

    return segment.replaceAll('~1', '/').replaceAll('~0', '~')
  })
}

/**
 * The path of `path=value`: dots, or slashes with JSON Pointer escapes. No segment may be empty.
 */
function parseSetPath (path: string, arg: string): string[] {
  const segments = path.startsWith('/') ? parsePointer(path, `"${arg}"`) : path.split('.')

  if (segments.length === 0 || segments.some(segment => segment === '')) {
    throw new UsageError(`"${arg}": the path "${path}" has an empty segment (write a.b.c or /a/b/c)`)
  }

  return segments
}

function parseValue (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function parsePatchOperation (operation: any): DocChange {
  const text = JSON.stringify(operation)

  if (operation == null || typeof operation !== 'object' || Array.isArray(operation)) {
    throw new UsageError(`a JSON Patch operation is an object with "op" and "path": ${text}`)
  }

  if (!PATCH_OPS.includes(operation.op)) {
    throw new UsageError(`unsupported JSON Patch operation "${String(operation.op)}" (RFC 6902 has ${PATCH_OPS.join(', ')}): ${text}`)
  }

  if (typeof operation.path !== 'string') {
    throw new UsageError(`"${String(operation.op)}" needs a "path" string: ${text}`)
  }

  const path = parsePointer(operation.path, text)

  switch (operation.op) {
    case 'remove':
      return { op: 'remove', path, text }
    case 'move':
    case 'copy':
      if (typeof operation.from !== 'string') {
        throw new UsageError(`"${String(operation.op)}" needs a "from" string: ${text}`)
      }
      return { op: operation.op, from: parsePointer(operation.from, text), path, text }
    default:
      if (!('value' in operation)) {
        throw new UsageError(`"${String(operation.op)}" needs a "value": ${text}`)
      }
      return { op: operation.op, path, value: operation.value, text }
  }
}

/**
 * Parses the change arguments of the command line.
 */
export function parseDocChanges (args: string[]): DocChange[] {
  if (args.length === 0) {
    throw new UsageError('no change given: use path=value or a JSON Patch')
  }

  return args.flatMap((arg): DocChange[] => {
    const text = arg.trim()

    if (text.startsWith('[') || text.startsWith('{')) {
      let patch: unknown

      try {
        patch = JSON.parse(text)
      } catch (err: any) {
        throw new UsageError(`not valid JSON: ${err.message}`)
      }

      return (Array.isArray(patch) ? patch : [patch]).map(parsePatchOperation)
    }

    const equals = text.indexOf('=')

    if (equals <= 0) {
      throw new UsageError(`"${arg}" is neither path=value nor a JSON Patch`)
    }

    return [{ op: 'set', path: parseSetPath(text.slice(0, equals), arg), value: parseValue(text.slice(equals + 1)), text: arg }]
  })
}

function isIndex (segment: string): boolean {
  return /^(0|[1-9]\d*)$/.test(segment)
}

function isContainer (value: unknown): value is Record<string, any> {
  return value != null && typeof value === 'object'
}

/**
 * Own keys only, through `Object.keys` (automerge's proxies answer it; a plain `in` would also see
 * `toString`).
 */
function hasKey (value: Record<string, any>, key: string): boolean {
  return Object.keys(value).includes(key)
}

function pointerOf (path: string[]): string {
  return path.map(segment => `/${segment.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('')
}

/**
 * A plain copy of a value, so an automerge object is never assigned into the document twice (copy,
 * move, test compare plain values).
 */
function plain (value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value))
}

function fail (change: DocChange, reason: string): never {
  throw new UsageError(`${change.text}: ${reason}; nothing was changed`)
}

/**
 * The value at `path`, or a `UsageError` naming the change when there is none.
 */
function valueAt (doc: any, path: string[], change: DocChange): unknown {
  let value = doc

  for (let i = 0; i < path.length; i++) {
    const segment = path[i]
    const exists = Array.isArray(value)
      ? isIndex(segment) && Number(segment) < value.length
      : isContainer(value) && hasKey(value, segment)

    if (!exists) {
      fail(change, Array.isArray(value) && isIndex(segment)
        ? `list index ${segment} is out of range in ${pointerOf(path.slice(0, i + 1))} (the list has ${value.length} items)`
        : `${pointerOf(path.slice(0, i + 1))} does not exist`)
    }

    value = value[segment]
  }

  return value
}

/**
 * The container that holds the last segment of `path`. `path=value` creates what is missing; JSON
 * Patch needs the parent to exist (RFC 6902 4.1).
 */
function parentOf (doc: any, change: DocChange, path: string[]): any {
  let target = doc

  for (let i = 0; i < path.length - 1; i++) {
    const segment = path[i]

    if (change.op === 'set' && (Array.isArray(target) ? segment === '-' || (isIndex(segment) && Number(segment) === target.length) : isContainer(target) && target[segment] == null)) {
      // a list when the next segment counts, an object otherwise
      const next = path[i + 1]
      const created = isIndex(next) || next === '-' ? [] : {}

      if (Array.isArray(target)) {
        target.push(created)
        target = target[target.length - 1]
      } else {
        target[segment] = created
        target = target[segment]
      }

      continue
    }

    target = valueAt(target, [segment], change)

    if (!isContainer(target)) {
      fail(change, `${pointerOf(path.slice(0, i + 1))} is not an object or list`)
    }
  }

  return target
}

function put (doc: any, change: DocChange, path: string[], value: unknown, insert: boolean): void {
  if (path.length === 0) {
    fail(change, 'the document itself cannot be replaced (name a field)')
  }

  const target = parentOf(doc, change, path)
  const last = path[path.length - 1]

  if (!Array.isArray(target)) {
    if (!insert && !hasKey(target, last)) {
      fail(change, `${pointerOf(path)} does not exist (use "add" to create it)`)
    }

    target[last] = value
    return
  }

  if (last === '-' && insert) {
    target.push(value)
    return
  }

  if (!isIndex(last)) {
    fail(change, `"${last}" in ${pointerOf(path)} is not a list index (0, 1, ... or - to append)`)
  }

  const index = Number(last)

  if (index > target.length || (!insert && index >= target.length)) {
    fail(change, `list index ${index} is out of range in ${pointerOf(path)} (the list has ${target.length} items)`)
  }

  if (insert && change.op !== 'set') {
    target.splice(index, 0, value)
  } else if (index === target.length) {
    target.push(value)
  } else {
    target[index] = value
  }
}

function remove (doc: any, change: DocChange, path: string[]): void {
  if (path.length === 0) {
    fail(change, 'the document itself cannot be removed')
  }

  valueAt(doc, path, change)
  const target = parentOf(doc, change, path)
  const last = path[path.length - 1]

  if (Array.isArray(target)) {
    target.splice(Number(last), 1)
  } else {
    delete target[last]
  }
}

function sameValue (a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => sameValue(item, b[i]))
  }

  if (isContainer(a) && isContainer(b)) {
    const keys = Object.keys(a)
    return keys.length === Object.keys(b).length && keys.every(key => hasKey(b, key) && sameValue(a[key], b[key]))
  }

  return a === b
}

/**
 * Applies one change to a document: an automerge proxy inside `handle.change`, or a plain copy.
 */
export function applyDocChange (doc: any, change: DocChange): void {
  switch (change.op) {
    case 'set':
      put(doc, change, change.path, change.value, true)
      return
    case 'add':
      put(doc, change, change.path, change.value, true)
      return
    case 'replace':
      valueAt(doc, change.path, change)
      put(doc, change, change.path, change.value, false)
      return
    case 'remove':
      remove(doc, change, change.path)
      return
    case 'copy':
      put(doc, change, change.path, plain(valueAt(doc, change.from, change)), true)
      return
    case 'move': {
      if (pointerOf(change.path).startsWith(`${pointerOf(change.from)}/`)) {
        fail(change, `${pointerOf(change.from)} cannot be moved into itself`)
      }

      const value = plain(valueAt(doc, change.from, change))
      remove(doc, change, change.from)
      put(doc, change, change.path, value, true)
      return
    }
    default:
      // test
      if (!sameValue(plain(valueAt(doc, change.path, change)), change.value)) {
        fail(change, `${pointerOf(change.path)} is not ${JSON.stringify(change.value)}`)
      }
  }
}

/**
 * Runs `changes` on a plain copy of `doc`: throws the first change's `UsageError` before anything
 * is applied to the real document.
 */
export function planDocChanges (doc: unknown, changes: DocChange[]): void {
  const draft = plain(doc ?? {})
  changes.forEach(change => { applyDocChange(draft, change) })
}
