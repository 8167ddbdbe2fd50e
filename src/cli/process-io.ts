/**
 * The CLI's connection to the process: the only module that touches `console`-like streams and
 * signals. SIGINT or SIGTERM aborts `signal` so long-running commands stop cleanly; a second one
 * exits at once.
 */
import type { CliIO } from './io.ts'

/**
 * automerge-repo's save throttle computes its wait as `lastCall + delay - now` and passes it to
 * setTimeout even when it is negative (which Node runs at once, with a TimeoutNegativeWarning on
 * stderr of most `doc` commands). The warning says nothing a user can act on: Node's printer of
 * process warnings is replaced by one that prints every other warning as Node would.
 */
function quietTimeoutNegativeWarnings (): void {
  if (process.listenerCount('warning') === 0) {
    // --no-warnings or NODE_NO_WARNINGS: nothing is printed anyway
    return
  }

  process.removeAllListeners('warning')
  process.on('warning', warning => {
    if (warning.name !== 'TimeoutNegativeWarning') {
      process.stderr.write(`(node:${process.pid}) ${warning.name}: ${warning.message}\n`)
    }
  })
}

export function processIO (): CliIO {
  const controller = new AbortController()
  quietTimeoutNegativeWarnings()

  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      process.stderr.write(`docpeer: second ${signal}, exiting without a clean stop\n`)
      process.exit(130)
    }

    controller.abort(new Error(`received ${signal}`))
  }

  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  return {
    out: line => { process.stdout.write(`${line}\n`) },
    err: line => { process.stderr.write(`${line}\n`) },
    signal: controller.signal,
    stdin: process.stdin,
    write: async bytes => {
      await new Promise<void>((resolve, reject) => {
        process.stdout.write(bytes, err => { err == null ? resolve() : reject(err) })
      })
    }
  }
}
