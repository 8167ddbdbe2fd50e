/**
 * The CLI's connection to the process: the only module that touches `console`-like streams and
 * signals. SIGINT or SIGTERM aborts `signal` so long-running commands stop cleanly; a second one
 * exits at once.
 */
import type { CliIO } from './io.ts'

export function processIO (): CliIO {
  const controller = new AbortController()

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
