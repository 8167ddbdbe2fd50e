/**
 * A peer without helia never loads helia: the import (about 0.9 s here) and the start are only paid
 * by peers that ask for it. Each case runs in a fresh Node process that records the modules it
 * resolves; the helia case shows the probe does see helia when it is loaded.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expect } from 'aegir/chai'

const PROBE = fileURLToPath(new URL('./fixtures/helia-import-probe.ts', import.meta.url))

interface ProbeReport {
  hasHelia: boolean
  heliaModules: string[]
  modules: number
  importMs: number
  heliaImportMs: number
  startMs: number
}

async function probe (mode: 'plain' | 'helia'): Promise<ProbeReport> {
  const { stdout } = await promisify(execFile)(process.execPath, [PROBE, mode], { timeout: 60_000 })
  return JSON.parse(stdout)
}

describe('helia is imported lazily', function () {
  this.timeout(120_000)

  it('a peer without helia starts without loading helia, blockstore-fs or any @helia module', async () => {
    const plain = await probe('plain')

    expect(plain.hasHelia).to.be.false()
    expect(plain.modules).to.be.greaterThan(100, 'the probe records the modules libp2p loads')
    expect(plain.heliaModules).to.deep.equal([])
  })

  it('a peer with helia loads it (the probe sees helia when it is there)', async () => {
    const plain = await probe('plain')
    const helia = await probe('helia')

    expect(helia.hasHelia).to.be.true()
    expect(helia.heliaModules.some(url => url.includes('/node_modules/helia/'))).to.be.true()
    expect(helia.heliaModules.some(url => url.includes('/node_modules/@helia/bitswap/'))).to.be.true()
    expect(helia.modules).to.be.greaterThan(plain.modules)
    // reported, not asserted: speed targets live in benchmarks
    // eslint-disable-next-line no-console
    console.info(`      peer start without helia ${plain.startMs.toFixed(0)} ms; helia import ${helia.heliaImportMs.toFixed(0)} ms, peer start with helia ${helia.startMs.toFixed(0)} ms; modules ${plain.modules} vs ${helia.modules}`)
  })
})
