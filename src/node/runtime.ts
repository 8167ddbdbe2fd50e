/**
 * The runtime check: libp2p v3 needs Node.js >= 22 (it uses `Promise.withResolvers`; on older
 * versions every noise handshake fails deep inside libp2p with an error that names no cause).
 * This module imports nothing, so the CLI can run it before loading anything else, and it must
 * parse on old Node.js versions. In browsers there is no Node.js version and nothing is checked.
 */

/**
 * The oldest Node.js major libp2p v3 runs on.
 */
export const MIN_NODE_MAJOR = 22

/**
 * The Node.js running docpeer is older than libp2p needs.
 */
export class UnsupportedRuntimeError extends Error {
  static name = 'UnsupportedRuntimeError'

  constructor (message = 'This Node.js version is not supported') {
    super(message)
    this.name = 'UnsupportedRuntimeError'
  }
}

/**
 * The Node.js version of this runtime, or undefined outside Node.js (browsers, workers).
 */
export function runtimeNodeVersion (): string | undefined {
  // read through globalThis: browsers have no `process`, and bundlers must not polyfill it here
  const runtime = (globalThis as { process?: { versions?: { node?: string } } }).process
  return runtime?.versions?.node
}

/**
 * Returns a one-line explanation for a Node.js older than `MIN_NODE_MAJOR`, or undefined when it is
 * new enough (or the version is unknown).
 */
export function nodeVersionProblem (version: string | undefined = runtimeNodeVersion()): string | undefined {
  if (version == null) {
    return undefined
  }

  const major = Number.parseInt(version.split('.')[0], 10)

  if (Number.isNaN(major) || major >= MIN_NODE_MAJOR) {
    return undefined
  }

  return `docpeer needs Node.js >= ${MIN_NODE_MAJOR}, found ${version}`
}

/**
 * Throws `UnsupportedRuntimeError` on a Node.js that libp2p v3 cannot run on.
 */
export function assertSupportedRuntime (): void {
  const problem = nodeVersionProblem()

  if (problem != null) {
    throw new UnsupportedRuntimeError(`${problem}: libp2p v3 uses Promise.withResolvers, which older versions lack. Install Node.js ${MIN_NODE_MAJOR} or newer (or add the "node" package as a devDependency and run through npm scripts).`)
  }
}
