/**
 * The control API's socket handling (src/control/), in-process with real Unix sockets and files:
 * owner checks, a live socket in the way, a daemon that never answers.
 */
import { chmod, chown, mkdir, mkdtemp, rm, stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { expect } from 'aegir/chai'
import { connectControl, controlRequest } from '../src/control/client.ts'
import { controlDirPath, controlSocketPath } from '../src/control/protocol.ts'
import { startControlServer } from '../src/control/server.ts'
import type { Logger } from '@libp2p/interface'
import type { Server } from 'node:net'

const NOBODY = 65534
const log = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false, newScope: () => log }) as unknown as Logger

async function listen (path: string): Promise<Server> {
  const server = createServer(() => {})
  await new Promise<void>(resolve => server.listen(path, resolve))
  return server
}

describe('control socket', () => {
  let dir: string
  const servers: Server[] = []

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dp-ctl-socket-'))
  })

  afterEach(async () => {
    servers.splice(0).forEach(server => { server.close() })
    await rm(dir, { recursive: true, force: true })
  })

  it('answers requests and errors, and removes its socket on close', async () => {
    const server = await startControlServer({
      dataDir: dir,
      log,
      methods: {
        echo: async params => params,
        fail: async () => { throw Object.assign(new Error('it broke'), { name: 'BrokenError' }) }
      }
    })

    try {
      expect(await controlRequest(dir, 'echo', { a: 1 })).to.deep.equal({ a: 1 })
      const err = await controlRequest(dir, 'fail').catch(err => err)
      expect(err).to.have.property('name', 'BrokenError')
      expect(err).to.have.property('message', 'it broke')
      const unknown = await controlRequest(dir, 'nope').catch(err => err)
      expect(unknown).to.have.property('name', 'InvalidControlRequestError')
    } finally {
      await server.close()
    }

    expect(await connectControl(dir)).to.be.undefined()
    const none = await controlRequest(dir, 'echo').catch(err => err)
    expect(none).to.have.property('name', 'DaemonNotRunningError')
  })

  it('gives up on a daemon that does not answer', async () => {
    await mkdir(controlDirPath(dir), { mode: 0o700 })
    // accepts connections, never writes
    servers.push(await listen(controlSocketPath(dir)))

    const err: any = await controlRequest(dir, 'status', {}, { timeoutMs: 300 }).catch(err => err)
    expect(err).to.have.property('name', 'ControlSocketError')
    expect(err.message).to.include('did not answer "status"')
  })

  it('will not start where another process answers on the socket', async () => {
    await mkdir(controlDirPath(dir), { mode: 0o700 })
    servers.push(await listen(controlSocketPath(dir)))

    const err = await startControlServer({ dataDir: dir, log, methods: {} }).catch(err => err)
    expect(err).to.have.property('name', 'ControlSocketError')
    expect(err.message).to.include('Another process answers')
  })

  it('narrows a loose control directory to 0700, and refuses one or a socket that belongs to another user', async () => {
    await mkdir(controlDirPath(dir), { mode: 0o755 })
    await chmod(controlDirPath(dir), 0o755)
    const server = await startControlServer({ dataDir: dir, log, methods: {} })
    expect((await stat(controlDirPath(dir))).mode & 0o777).to.equal(0o700)
    expect((await stat(controlSocketPath(dir))).mode & 0o777).to.equal(0o600)
    await server.close()

    // changing a file's owner needs root; elsewhere the check above is what runs
    if (userInfo().uid !== 0) {
      return
    }

    servers.push(await listen(controlSocketPath(dir)))
    await chown(controlSocketPath(dir), NOBODY, NOBODY)
    const client = await connectControl(dir).catch(err => err)
    expect(client).to.have.property('name', 'ControlSocketError')
    expect(client.message).to.include(`belongs to uid ${NOBODY}`)

    await chown(controlDirPath(dir), NOBODY, NOBODY)
    const refused = await startControlServer({ dataDir: dir, log, methods: {} }).catch(err => err)
    expect(refused).to.have.property('name', 'ControlSocketError')
    expect(refused.message).to.include(`belongs to uid ${NOBODY}`)
  })
})
