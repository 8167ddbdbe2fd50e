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

/** signals this close to the first one are copies of it (a person pressing Ctrl-C again is slower) */
const ONE_REQUEST_MS = 500

export function processIO (): CliIO {
  const controller = new AbortController()
  quietTimeoutNegativeWarnings()

  let firstAt = 0
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      // one Ctrl-C of `npm start` arrives twice: from the terminal (to the whole foreground process
      // group) and forwarded by npm to its script; a second signal that soon is the same request
      if (Date.now() - firstAt < ONE_REQUEST_MS) {
        return
      }

      process.stderr.write(`docpeer: second ${signal}, exiting without a clean stop\n`)
      process.exit(130)
    }

    firstAt = Date.now()
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
