/**
 * Runs before anything else of the CLI is imported, on whatever Node.js started it: it must not
 * import libp2p, and it must parse on old Node.js versions (src/node/runtime.ts imports nothing).
 */
import { nodeVersionProblem, MIN_NODE_MAJOR } from '../node/runtime.ts'

export { MIN_NODE_MAJOR, nodeVersionProblem }

/**
 * Prints the error and exits with 1 when this Node.js is too old.
 */
export function checkNodeVersion (): void {
  const problem = nodeVersionProblem()

  if (problem != null) {
    process.stderr.write(`docpeer: ${problem}. Run it through npm (npm start, npm exec docpeer), which uses the Node.js installed in node_modules, or install Node.js ${MIN_NODE_MAJOR} or newer.\n`)
    process.exit(1)
  }
}
