/**
 * The changes `docpeer doc change` understands, applied inside an automerge `change` callback:
 *
 * `path=value` sets a field. The path uses dots or slashes (`todos.0.done`, `/todos/0/done`); the
 * value is JSON when it parses as JSON (`n=3`, `done=true`, `tags=["a"]`), a string otherwise.
 *
 * A JSON Patch (RFC 6902) operation or array of operations does `add`, `replace` and `remove`; `-`
 * as the last path segment appends to an array.
 */
import { UsageError } from './io.ts'

export type DocChange =
  | { op: 'add' | 'replace', path: string[], value: unknown }
  | { op: 'remove', path: string[] }

function splitPath (path: string): string[] {
  const trimmed = path.startsWith('/') ? path.slice(1) : path
  const separator = path.startsWith('/') ? '/' : '.'

  if (trimmed === '') {
    throw new UsageError(`"${path}" does not name a field`)
  }

  // JSON Pointer escapes (~1 is "/", ~0 is "~") apply to slash paths
  return trimmed.split(separator).map(segment => separator === '/' ? segment.replaceAll('~1', '/').replaceAll('~0', '~') : segment)
}

function parseValue (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function parsePatchOperation (operation: any): DocChange {
  if (operation == null || typeof operation !== 'object' || typeof operation.path !== 'string') {
    throw new UsageError(`a JSON Patch operation needs "op" and "path": ${JSON.stringify(operation)}`)
  }

  switch (operation.op) {
    case 'add':
    case 'replace':
      if (!('value' in operation)) {
        throw new UsageError(`"${String(operation.op)}" needs a "value": ${JSON.stringify(operation)}`)
      }
      return { op: operation.op, path: splitPath(operation.path), value: operation.value }
    case 'remove':
      return { op: 'remove', path: splitPath(operation.path) }
    default:
      throw new UsageError(`unsupported JSON Patch operation "${String(operation.op)}" (use add, replace or remove)`)
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

    return [{ op: 'replace', path: splitPath(text.slice(0, equals)), value: parseValue(text.slice(equals + 1)) }]
  })
}

function isIndex (segment: string): boolean {
  return /^(0|[1-9]\d*)$/.test(segment)
}

/**
 * Applies one change to an automerge document proxy (inside `handle.change`). Missing objects on
 * the way are created for `path=value`, as people expect from `a.b=1` on an empty document.
 */
export function applyDocChange (doc: any, change: DocChange): void {
  const parents = change.path.slice(0, -1)
  const last = change.path[change.path.length - 1]
  let target = doc

  for (const segment of parents) {
    if (target[segment] == null) {
      if (change.op === 'remove') {
        throw new UsageError(`cannot remove /${change.path.join('/')}: /${segment} does not exist`)
      }

      target[segment] = {}
    }

    target = target[segment]

    if (typeof target !== 'object') {
      throw new UsageError(`cannot change /${change.path.join('/')}: /${segment} is not an object or array`)
    }
  }

  if (Array.isArray(target)) {
    if (last === '-' && change.op !== 'remove') {
      target.push(change.value)
      return
    }

    if (!isIndex(last) || Number(last) > target.length || (change.op !== 'add' && Number(last) >= target.length)) {
      throw new UsageError(`array index "${last}" is out of range in /${change.path.join('/')}`)
    }

    const index = Number(last)

    if (change.op === 'remove') {
      target.splice(index, 1)
    } else if (change.op === 'add') {
      target.splice(index, 0, change.value)
    } else {
      target[index] = change.value
    }

    return
  }

  if (change.op === 'remove') {
    if (!(last in target)) {
      throw new UsageError(`cannot remove /${change.path.join('/')}: it does not exist`)
    }

    delete target[last]
    return
  }

  target[last] = change.value
}
