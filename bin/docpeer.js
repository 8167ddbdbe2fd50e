#!/usr/bin/env node
// The Node version is checked before anything of libp2p is loaded: on an older Node every noise
// handshake fails deep inside libp2p, with an error that says nothing about the cause.
import module from 'node:module'
import { checkNodeVersion } from '../dist/src/cli/node-version.js'

checkNodeVersion()
// keep V8's compiled code of docpeer and its ~1200 modules on disk between runs: a daemon starts
// in about half the time from the second start on (Node >= 22.1)
module.enableCompileCache?.()
const { main } = await import('../dist/src/cli/index.js')
// exit explicitly: discovery sockets and timers of a stopped node must not keep the process alive
process.exit(await main(process.argv.slice(2)))
