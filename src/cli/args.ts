/**
 * Command-line parsing shared by the commands: `parseArgs` from node:util in strict mode, with its
 * errors turned into usage errors (exit code 2). It imports nothing of libp2p, so that light commands
 * (`docpeer id`) stay light; multiaddr options are checked by multiaddr-args.ts.
 */
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
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      allowNegative: true,
      strict: true
    }) as Parsed
  } catch (err: any) {
    throw new UsageError(err.message)
  }
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
