/**
 * The frame of the commands that talk to a running daemon over its control socket (status, peers,
 * connect, disconnect): `--data-dir`, `--json`, and errors as a JSON object on standard output when
 * `--json` is given (`{"error":{"name":"...","message":"..."}}`), with the usual exit codes: 0 done,
 * 1 failed (no daemon, the daemon refused), 2 bad command line.
 */
import { InvalidMultiaddrError } from '@libp2p/interface'
import { parseCommandArgs } from './args.ts'
import { DEFAULT_DATA_DIR } from './defaults.ts'
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './io.ts'
import type { Parsed } from './args.ts'
import type { CliIO } from './io.ts'
import type { ParseArgsConfig } from 'node:util'

export interface ControlCommandSpec {
  name: string
  help: string
  options?: NonNullable<ParseArgsConfig['options']>
  positionals?: boolean
  /**
   * Does the work; returns what `--json` prints and the lines of the text output.
   */
  run(dataDir: string, parsed: Parsed, io: CliIO): Promise<{ json: unknown, text: string[] }>
}

function isUsage (err: any): boolean {
  return err instanceof UsageError || err?.name === InvalidMultiaddrError.name || err?.name === 'InvalidParametersError'
}

export async function runControlCommand (args: string[], io: CliIO, spec: ControlCommandSpec): Promise<number> {
  // known before parsing, so a bad command line is reported as JSON too
  const json = args.includes('--json')

  try {
    const parsed = parseCommandArgs(args, {
      'data-dir': { type: 'string' },
      json: { type: 'boolean' },
      ...spec.options
    }, spec.positionals === true)

    if (parsed.values.help === true) {
      io.out(spec.help)
      return EXIT_OK
    }

    const dataDir = String(parsed.values['data-dir'] ?? DEFAULT_DATA_DIR)
    const result = await spec.run(dataDir, parsed, io)

    if (json) {
      io.out(JSON.stringify(result.json, null, 2))
    } else {
      result.text.forEach(line => { io.out(line) })
    }

    return EXIT_OK
  } catch (err: any) {
    const usage = isUsage(err)

    if (json) {
      io.out(JSON.stringify({ error: { name: String(err?.name ?? 'Error'), message: String(err?.message ?? err) } }, null, 2))
    } else if (usage) {
      io.err(`docpeer ${spec.name}: ${String(err.message).replace(/\.$/, '')}. Run docpeer ${spec.name} --help for usage.`)
    } else {
      io.err(`docpeer ${spec.name}: ${err?.message ?? String(err)}`)
    }

    return usage ? EXIT_USAGE : EXIT_FAILURE
  }
}

/**
 * 3s, 4m12s, 2h5m: how long a connection has been open.
 */
export function formatAge (ms: number): string {
  const seconds = Math.floor(ms / 1000)

  if (seconds < 60) {
    return `${seconds}s`
  }

  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)}m${seconds % 60}s`
  }

  return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`
}
