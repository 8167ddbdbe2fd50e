/**
 * Command-line parsing shared by the commands: `parseArgs` from node:util in strict mode, with its
 * errors turned into usage errors (exit code 2). It imports nothing of libp2p, so that light commands
 * (`docpeer id`) stay light; multiaddr options are checked by multiaddr-args.ts.
 */
import { isIP } from 'node:net'
import { parseArgs } from 'node:util'
import { UsageError } from './io.ts'
import type { ParseArgsConfig } from 'node:util'

type Options = NonNullable<ParseArgsConfig['options']>

export interface Parsed {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>
  positionals: string[]
}

export function parseCommandArgs (args: string[], options: Options, allowPositionals = false): Parsed {
  try {
    return parseArgs({
      args: joinNegativeValues(args, options),
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      allowNegative: true,
      strict: true
    }) as Parsed
  } catch (err: any) {
    throw new UsageError(describeParseError(err))
  }
}

/**
 * `--timeout -1` is an option with a negative value, not two options: parseArgs calls it
 * ambiguous and asks for `--timeout=-1`, so it is written that way for it (the value is then
 * checked like any other).
 */
function joinNegativeValues (args: string[], options: Options): string[] {
  const joined: string[] = []

  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') ? args[i].slice(2) : undefined
    const next = args[i + 1]

    if (name != null && options[name]?.type === 'string' && next != null && /^-\d/.test(next)) {
      joined.push(`${args[i]}=${next}`)
      i++
    } else {
      joined.push(args[i])
    }
  }

  return joined
}

/**
 * parseArgs's messages, in the CLI's words (its own suggest `-- "--json"` with a broken quote).
 */
function describeParseError (err: any): string {
  const option = /option '([^' ]+)/i.exec(String(err.message))?.[1]

  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? String(err.message)}`
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return option == null ? String(err.message) : `${option} needs a value`
    default:
      return String(err.message)
  }
}

/**
/**
 * An IPv4 or IPv6 address for `--host`.
 */
export function checkHost (value: string | undefined): string | undefined {
  if (value != null && isIP(value) === 0) {
    throw new UsageError(`--host must be an IPv4 or IPv6 address, got "${value}"`)
  }

  return value
}

/**
 * A positive number of seconds, as milliseconds.
 */
export function parseSeconds (option: string, value: string | undefined, fallback: number): number {
  if (value == null) {
    return fallback
  }

  const seconds = Number(value)

  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`--${option} must be a positive number of seconds, got "${value}"`)
  }

  return seconds * 1000
}
