#!/usr/bin/env node
// The Node version is checked before anything of libp2p is loaded: on an older Node every noise
// handshake fails deep inside libp2p, with an error that says nothing about the cause.
import { checkNodeVersion } from '../dist/src/cli/node-version.js'

checkNodeVersion()
const { main } = await import('../dist/src/cli/index.js')
// exit explicitly: discovery sockets and timers of a stopped node must not keep the process alive
process.exit(await main(process.argv.slice(2)))
