#!/usr/bin/env node
// The Node version is checked before anything of libp2p is loaded: on an older Node every noise
// handshake fails deep inside libp2p, with an error that says nothing about the cause.
import module from 'node:module'
import { cliEntries, cliEntry } from '../dist/src/cli/entry.js'
import { checkNodeVersion } from '../dist/src/cli/node-version.js'

checkNodeVersion()
// keep V8's compiled code of docpeer and its modules on disk between runs: a daemon starts faster
// from the second start on (Node >= 22.1)
module.enableCompileCache?.()
// the CLI bundled by npm run build when it is up to date, else tsc's modules (src/cli/entry.ts)
const { main } = await import(cliEntry(cliEntries(new URL('../', import.meta.url))).href)
// exit explicitly: discovery sockets and timers of a stopped node must not keep the process alive
process.exit(await main(process.argv.slice(2)))
