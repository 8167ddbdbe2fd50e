#!/usr/bin/env node
// Checks the Node version before anything of libp2p is loaded: on older Node every noise handshake
// fails deep inside libp2p, which says nothing about the real cause.
import { checkNodeVersion } from '../dist/src/cli/node-version.js'

checkNodeVersion()
const { main } = await import('../dist/src/cli/index.js')
process.exitCode = await main(process.argv.slice(2))
