/**
 * How commands talk to the outside: lines out, lines to the error stream, and a stop signal.
 * `main()` gets the process's; tests may pass their own.
 */
export interface CliIO {
  out(line: string): void
  err(line: string): void
  /**
   * Aborts when the process receives SIGINT or SIGTERM (long-running commands stop on it).
   */
  signal: AbortSignal
  /**
   * Standard input, for commands that read data (`block put -`).
   */
  stdin: AsyncIterable<Uint8Array>
  /**
   * Writes raw bytes to standard output (`block get`).
   */
  write(bytes: Uint8Array): Promise<void>
}

/**
 * Exit codes: 0 done, 1 the command failed (unreachable peer, timeout, unreadable data dir), 2 the
 * command line is wrong (unknown option, malformed multiaddr).
 */
export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

/**
 * A mistake in the command line: printed with a pointer to `--help`, exit code 2.
 */
export class UsageError extends Error {
  static name = 'UsageError'

  constructor (message = 'Invalid command line') {
    super(message)
    this.name = 'UsageError'
  }
}

export type Command = (args: string[], io: CliIO) => Promise<number>
