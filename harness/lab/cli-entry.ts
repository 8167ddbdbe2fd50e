/**
 * The docpeer command from the sources (bin/docpeer.js runs the built dist/), for lab namespaces.
 */
import { main } from '../../src/cli/index.ts'

process.exit(await main(process.argv.slice(2)))
