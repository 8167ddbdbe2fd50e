/**
 * A libp2p `ComponentLogger` that counts what the sync adapter logs, so a test can check that every
 * stream it refused was refused with a reason. Lines still go to `debug` (`DEBUG=docpeer:*`).
 * Only counters are kept: a soak logs hundreds of thousands of lines and must not grow the heap.
 */
import { logger as debugLogger } from '@libp2p/logger'
import type { ComponentLogger, Logger } from '@libp2p/interface'

export interface LogCounts {
  /** sync-stream loggers created for inbound streams (one per accepted sync stream) */
  inboundStreamLoggers: number
  /** of those, the ones that logged at least one line */
  inboundStreamsThatLogged: number
  /** error-level lines of any `docpeer:sync` logger */
  errors: number
  /** error-level lines by the name of the error they carry (or their format string) */
  reasons: Map<string, number>
}

export interface CapturingLogger {
  logger: ComponentLogger
  counts: LogCounts
}

const SYNC_SCOPE = 'docpeer:sync'

export function capturingLogger (): CapturingLogger {
  const counts: LogCounts = {
    inboundStreamLoggers: 0,
    inboundStreamsThatLogged: 0,
    errors: 0,
    reasons: new Map()
  }

  function reasonOf (args: unknown[]): string {
    const err = args.find(a => a instanceof Error) as Error | undefined
    return err?.name ?? String(args[0])
  }

  function wrap (name: string): Logger {
    const base = debugLogger(name)
    const isSync = name.includes(SYNC_SCOPE)
    const isInboundStream = isSync && /:inbound:\d+:/.test(name)
    let logged = false

    if (isInboundStream) {
      counts.inboundStreamLoggers++
    }

    const noteLine = (): void => {
      if (isInboundStream && !logged) {
        logged = true
        counts.inboundStreamsThatLogged++
      }
    }

    const log = ((...args: [any, ...any[]]): void => {
      if (isSync) {
        noteLine()
      }
      base(...args)
    }) as Logger

    log.error = (...args: [any, ...any[]]): void => {
      if (isSync) {
        noteLine()
        counts.errors++
        const reason = reasonOf(args)
        counts.reasons.set(reason, (counts.reasons.get(reason) ?? 0) + 1)
      }
      base.error(...args)
    }
    log.trace = (...args: [any, ...any[]]): void => {
      if (isSync) {
        noteLine()
      }
      base.trace(...args)
    }
    log.enabled = base.enabled
    log.newScope = (scope: string): Logger => wrap(`${name}:${scope}`)

    return log
  }

  return {
    logger: { forComponent: wrap },
    counts
  }
}
