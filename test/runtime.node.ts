/**
 * Library use on an old Node.js (issue 14, defect 3): `createPeer()` throws UnsupportedRuntimeError
 * naming the version it needs, instead of libp2p's `Promise.withResolvers is not a function` later.
 * Once in a runtime that reports Node 20, and once on a real Node.js older than 22 when this machine
 * has one (Debian's /usr/bin/node is 20) running the built package (dist/, made by npm run build).
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect } from 'aegir/chai'
import { MIN_NODE_MAJOR, assertSupportedRuntime, nodeVersionProblem } from '../src/node/runtime.ts'

const CHILD = fileURLToPath(new URL('./fixtures/old-node-child.ts', import.meta.url))
const DIST_INDEX = fileURLToPath(new URL('../dist/src/index.js', import.meta.url))
const OLD_NODE_CANDIDATES = ['/usr/bin/node', '/usr/local/bin/node', '/bin/node']

async function run (command: string, args: string[]): Promise<string> {
  const child = spawn(command, args)
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  await new Promise(resolve => child.on('close', resolve))
  return output
}

function oldNode (): string | undefined {
  return OLD_NODE_CANDIDATES.find(path => {
    const version = spawnSync(path, ['--version'], { encoding: 'utf8' }).stdout?.trim().replace(/^v/, '')
    return version != null && version !== '' && Number.parseInt(version, 10) < MIN_NODE_MAJOR
  })
}

describe('runtime check', function () {
  this.timeout(60_000)

  it('explains a version older than 22 and accepts this one', () => {
    expect(nodeVersionProblem('20.20.2')).to.include(`>= ${MIN_NODE_MAJOR}`)
    expect(nodeVersionProblem(process.versions.node)).to.be.undefined()
    expect(() => { assertSupportedRuntime() }).to.not.throw()
  })

  it('makes createPeer() throw UnsupportedRuntimeError in a runtime that reports Node 20', async () => {
    const output = await run(process.execPath, [CHILD, '20.20.2'])
    expect(output).to.include('UnsupportedRuntimeError: docpeer needs Node.js >= 22, found 20.20.2')
  })

  it('makes createPeer() of the built package throw UnsupportedRuntimeError on a real old Node.js, if this machine has one', async () => {
    const node = oldNode()

    if (node == null) {
      // nothing to run it on: the runtime check is covered by the test above
      return
    }

    expect(existsSync(DIST_INDEX), `${DIST_INDEX} (npm run build makes it)`).to.equal(true)
    const script = `import(${JSON.stringify(DIST_INDEX)}).then(({ createPeer }) => createPeer({ listen: [] })).then(() => console.log('started'), err => console.log(err.name + ': ' + err.message))`
    const output = await run(node, ['--input-type=module', '-e', script])
    expect(output).to.match(/UnsupportedRuntimeError: docpeer needs Node.js >= 22, found 2\d\./)
    expect(output).to.not.include('withResolvers')
  })
})
