/**
 * Runs before anything else of the CLI is imported, on whatever Node.js started it: it must not
 * import libp2p, and it must parse on old Node.js versions.
 */

/**
 * The oldest Node.js major libp2p v3 runs on (it uses `Promise.withResolvers`).
 */
export const MIN_NODE_MAJOR = 22

/**
 * Returns a one-line error for a Node.js older than `MIN_NODE_MAJOR`, or undefined when it is new
 * enough.
 */
export function nodeVersionProblem (version: string = process.versions.node): string | undefined {
  const major = Number.parseInt(version.split('.')[0], 10)

  if (Number.isNaN(major) || major >= MIN_NODE_MAJOR) {
    return undefined
  }

  return `docpeer needs Node.js >= ${MIN_NODE_MAJOR}, found ${version}. Run it through npm (npm start, npx docpeer), which uses the Node.js installed in node_modules, or install Node.js ${MIN_NODE_MAJOR} or newer.`
}

/**
 * Prints the error and exits with 1 when this Node.js is too old.
 */
export function checkNodeVersion (): void {
  const problem = nodeVersionProblem()

  if (problem != null) {
    process.stderr.write(`docpeer: ${problem}\n`)
    process.exit(1)
  }
}
