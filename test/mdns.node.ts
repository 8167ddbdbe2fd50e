/**
 * Two daemons with mDNS on find and connect to each other without being told an address.
 * Multicast needs an interface and must not reach the machine's real network, so the pair runs in
 * a private network namespace with a veth pair (scripts/netns-run.sh, root only; CI runs as root).
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expect } from 'aegir/chai'

const run = promisify(execFile)
const NETNS_RUN = fileURLToPath(new URL('../scripts/netns-run.sh', import.meta.url))
const PAIR = fileURLToPath(new URL('./fixtures/mdns-pair.ts', import.meta.url))

describe('mDNS discovery', () => {
  it('connects two daemons on one LAN without addresses given', async () => {
    const { stdout } = await run('sh', [NETNS_RUN, process.execPath, PAIR, '20000'], { timeout: 60_000 })
    const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}')

    expect(result.connected, stdout).to.be.true()
    expect(result.rtt).to.be.a('number')
    // the connection goes over the namespace's LAN interface or loopback, never another address
    expect(result.remoteAddr).to.match(/^\/ip4\/(10\.213\.0\.\d+|127\.0\.0\.1)\//)
  })
})
