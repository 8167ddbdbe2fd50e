/**
 * The automerge WebSocket bridge listens where asked (loopback by default) and, with a token,
 * accepts only clients whose URL carries it.
 */
import { expect } from 'aegir/chai'
import WebSocket from 'ws'
import { automergeWebSocketBridge } from '../src/bridge/index.ts'
import { bridgeAddress } from '../src/cli/daemon-access.ts'
import type { AutomergeWebSocketBridge } from '../src/bridge/index.ts'

async function opens (url: string): Promise<boolean> {
  return new Promise(resolve => {
    const socket = new WebSocket(url)
    socket.once('open', () => { socket.close(); resolve(true) })
    socket.once('error', () => { resolve(false) })
  })
}

describe('access: the automerge WebSocket bridge', () => {
  let bridge: AutomergeWebSocketBridge | undefined

  afterEach(async () => {
    await bridge?.close()
    bridge = undefined
  })

  it('listens on loopback by default and reports where it listens', async () => {
    bridge = await automergeWebSocketBridge({ port: 0 })
    expect(bridge.host).to.equal('127.0.0.1')
    expect(bridge.url).to.equal(`ws://127.0.0.1:${bridge.port}`)
    expect(await opens(bridge.url)).to.equal(true)
  })

  it('with a token, refuses clients without it', async () => {
    bridge = await automergeWebSocketBridge({ port: 0, token: 's3cret' })
    expect(bridge.url).to.equal(`ws://127.0.0.1:${bridge.port}/?token=s3cret`)
    expect(await opens(`ws://127.0.0.1:${bridge.port}`)).to.equal(false)
    expect(await opens(`ws://127.0.0.1:${bridge.port}/?token=wrong!`)).to.equal(false)
    expect(await opens(bridge.url)).to.equal(true)
  })

  it('the daemon option: the daemon\'s host or HOST:PORT, loopback by default, a token off loopback', () => {
    expect(bridgeAddress('5160', undefined, undefined)).to.deep.equal({ host: '127.0.0.1', port: 5160, token: undefined })
    expect(bridgeAddress('5160', '127.0.0.2', undefined)).to.deep.equal({ host: '127.0.0.2', port: 5160, token: undefined })
    expect(bridgeAddress('[::1]:5160', undefined, undefined)).to.deep.equal({ host: '::1', port: 5160, token: undefined })
    const open = bridgeAddress('0.0.0.0:5160', undefined, undefined)
    expect(open?.host).to.equal('0.0.0.0')
    expect(open?.token).to.be.a('string').with.length.greaterThan(16)
    expect(() => bridgeAddress('host:99999', undefined, undefined)).to.throw(/PORT/)
    expect(() => bridgeAddress(undefined, undefined, 'x')).to.throw(/needs --automerge-ws/)
  })
})
