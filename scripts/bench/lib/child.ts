/**
 * Entry of a benchmark child process: runs the calls its parent sends over IPC (see proc.ts).
 */
import type { Serializable } from 'node:child_process'

type Handler = (...args: any[]) => unknown

const modules = new Map<string, Promise<Record<string, Handler>>>()

const sys: Record<string, Handler> = {
  maxRss: () => process.resourceUsage().maxRSS,
  exit: () => {
    // let the reply go out first; process.exit writes a pending --cpu-prof profile
    setImmediate(() => process.exit(0))
  }
}

async function load (name: string): Promise<Record<string, Handler>> {
  if (name === 'sys') {
    return sys
  }

  if (!/^[a-z0-9-]+$/.test(name)) {
    throw new Error(`bad module name "${name}"`)
  }

  let mod = modules.get(name)

  if (mod == null) {
    mod = import(new URL(`../peers/${name}.ts`, import.meta.url).href)
    modules.set(name, mod)
  }

  return mod
}

function send (msg: Serializable): void {
  process.send?.(msg)
}

process.on('message', (msg: any) => {
  const { id, method, args } = msg
  const [moduleName, fn] = String(method).split('#')

  load(moduleName)
    .then(async mod => {
      const handler = mod[fn]

      if (typeof handler !== 'function') {
        throw new Error(`no function ${method}`)
      }

      return handler(...args)
    })
    .then(value => {
      if (id >= 0) {
        send({ id, ok: true, value })
      }
    }, (err: any) => {
      if (id >= 0) {
        send({ id, ok: false, error: err?.stack ?? String(err) })
      }
    })
})

// a benchmark child must never outlive its parent
process.on('disconnect', () => process.exit(0))
process.on('unhandledRejection', (err: any) => {
  process.stderr.write(`[${process.argv[2]}] unhandled rejection: ${err?.stack ?? err}\n`)
})
