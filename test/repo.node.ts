/**
 * The Repo of a docpeer node: documents sync between real peers over loopback TCP, survive
 * restarts in the data directory, and reach plain automerge WebSocket clients through the bridge.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repo } from '@automerge/automerge-repo'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import { expect } from 'aegir/chai'
import { automergeWebSocketBridge } from '../src/bridge/index.ts'
import { createPeer } from '../src/index.ts'
import type { AutomergeWebSocketBridge } from '../src/bridge/index.ts'
import type { Docpeer, DocpeerInit } from '../src/index.ts'
import type { DocHandle } from '@automerge/automerge-repo'

const LOOPBACK = { host: '127.0.0.1', mdns: false } as const

/**
 * Resolves once `handle`'s document satisfies `predicate` (checked on every change).
 */
async function until<T> (handle: DocHandle<T>, predicate: (doc: T) => boolean, timeout = 20_000): Promise<T> {
  const current = handle.doc()

  if (current != null && predicate(current)) {
    return current
  }

  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      handle.off('change', onChange)
      reject(new Error(`document did not converge in ${timeout} ms: ${JSON.stringify(handle.doc())}`))
    }, timeout)
    const onChange = ({ doc }: { doc: T }): void => {
      if (predicate(doc)) {
        clearTimeout(timer)
        handle.off('change', onChange)
        resolve(doc)
      }
    }
    handle.on('change', onChange)
  })
}

describe('Repo on a docpeer node', () => {
  const peers: Docpeer[] = []
  const dirs: string[] = []

  async function start (init: DocpeerInit = {}): Promise<Docpeer> {
    const peer = await createPeer({ ...LOOPBACK, ...init })
    peers.push(peer)
    return peer
  }

  async function tempDir (): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'docpeer-repo-'))
    dirs.push(dir)
    return dir
  }

  afterEach(async () => {
    await Promise.all(peers.splice(0).map(async peer => peer.stop()))
    await Promise.all(dirs.splice(0).map(async dir => rm(dir, { recursive: true, force: true })))
  })

  it('uses the libp2p peer id as automerge peer id', async () => {
    const peer = await start()
    expect(peer.repo?.peerId).to.equal(peer.peerId.toString())
  })

  it('three peers converge on a document, each editing it', async () => {
    const [a, b, c] = await Promise.all([start(), start(), start()])
    // a line: a - b - c; c never talks to a directly. c joins after b has the document: a peer
    // asked for a document it does not have yet answers "unavailable" and automerge-repo 2.5
    // then fails its own find() for it at once (a Repo behaviour, not the network's)
    const handleA = a.repo!.create<{ items: string[] }>({ items: ['from a'] })
    await b.syncWith(a.libp2p.getMultiaddrs()[0])
    const handleB = await b.repo!.find<{ items: string[] }>(handleA.url)
    await c.syncWith(b.libp2p.getMultiaddrs()[0])
    const handleC = await c.repo!.find<{ items: string[] }>(handleA.url)

    handleB.change(doc => { doc.items.push('from b') })
    handleC.change(doc => { doc.items.push('from c') })

    const complete = (doc: { items: string[] }): boolean => doc.items.length === 3
    const [docA, docB, docC] = await Promise.all([until(handleA, complete), until(handleB, complete), until(handleC, complete)])

    expect([...docA.items].sort()).to.deep.equal(['from a', 'from b', 'from c'])
    expect(docB.items).to.deep.equal(docA.items)
    expect(docC.items).to.deep.equal(docA.items)
  })

  it('syncs a 20 MB document', async function () {
    this.timeout(180_000)
    const a = await start()
    const b = await start()

    // 20 changes of 1 MiB of random (incompressible) bytes each
    const MiB = 1024 * 1024
    const parts = Array.from({ length: 20 }, () => {
      const bytes = new Uint8Array(MiB)
      for (let offset = 0; offset < MiB; offset += 65536) {
        crypto.getRandomValues(bytes.subarray(offset, offset + 65536))
      }
      return bytes
    })
    const handleA = a.repo!.create<{ parts: Uint8Array[] }>({ parts: [] })

    for (const part of parts) {
      handleA.change(doc => { doc.parts.push(part) })
    }

    await b.syncWith(a.libp2p.getMultiaddrs()[0])
    const handleB = await b.repo!.find<{ parts: Uint8Array[] }>(handleA.url, { signal: AbortSignal.timeout(150_000) })
    const doc = await until(handleB, doc => doc.parts.length === 20, 150_000)

    expect(doc.parts).to.have.lengthOf(20)
    doc.parts.forEach((part, i) => {
      expect(Buffer.from(part).equals(Buffer.from(parts[i])), `part ${i}`).to.be.true()
    })
  })

  it('keeps documents across a restart from its data directory and catches up with changes made meanwhile', async () => {
    const dir = await tempDir()
    const first = await createPeer({ ...LOOPBACK, dataDir: dir })
    const handle = first.repo!.create<{ log: string[] }>({ log: ['written before restart'] })
    const url = handle.url

    const other = await start()
    await other.syncWith(first.libp2p.getMultiaddrs()[0])
    const otherHandle = await other.repo!.find<{ log: string[] }>(url)
    await first.stop()

    otherHandle.change(doc => { doc.log.push('written while it was down') })

    const restarted = await start({ dataDir: dir })
    // its own copy, from disk, before any network
    const fromDisk = await restarted.repo!.find<{ log: string[] }>(url)
    expect(fromDisk.doc().log).to.deep.equal(['written before restart'])

    await restarted.syncWith(other.libp2p.getMultiaddrs()[0])
    const caughtUp = await until(fromDisk, doc => doc.log.length === 2)
    expect(caughtUp.log).to.deep.equal(['written before restart', 'written while it was down'])
  })

  it('redials a peer remembered with keepAlive after a restart, and syncs what changed meanwhile', async () => {
    const dir = await tempDir()
    const other = await start({ ports: { tcp: 0 } })
    const otherAddr = other.libp2p.getMultiaddrs()[0]

    const first = await createPeer({ ...LOOPBACK, dataDir: dir })
    await first.syncWith(otherAddr, { keepAlive: true })
    const handle = first.repo!.create<{ log: string[] }>({ log: ['one'] })
    const otherHandle = await other.repo!.find<{ log: string[] }>(handle.url)
    await first.stop()

    otherHandle.change(doc => { doc.log.push('two') })

    // no dial, no bootstrap list: the restarted peer finds the other in its peer store
    const restarted = await start({ dataDir: dir })
    const local = await restarted.repo!.find<{ log: string[] }>(handle.url)
    const caughtUp = await until(local, doc => doc.log.length === 2)
    expect(caughtUp.log).to.deep.equal(['one', 'two'])

    // forgotten: no redial after the next restart
    await restarted.forget(other.peerId)
    const tags = await restarted.libp2p.peerStore.get(other.peerId).then(peer => [...peer.tags.keys()])
    expect(tags.some(tag => tag.startsWith('keep-alive'))).to.be.false()
  })

  it('shares documents between libp2p peers and plain automerge WebSocket clients through the bridge', async () => {
    let bridge: AutomergeWebSocketBridge | undefined
    let wsRepo: Repo | undefined

    try {
      bridge = await automergeWebSocketBridge({ port: 0, host: '127.0.0.1' })
      const daemon = await start({ repo: { network: [bridge.adapter] } })
      const libp2pPeer = await start()
      await libp2pPeer.syncWith(daemon.libp2p.getMultiaddrs()[0])

      // an app using automerge's own WebSocket client, not libp2p
      wsRepo = new Repo({ network: [new WebSocketClientAdapter(bridge.url)] })
      await wsRepo.networkSubsystem.whenReady()

      // created by the WebSocket client, read by the libp2p peer
      const fromWs = wsRepo.create<{ by: string[] }>({ by: ['websocket client'] })
      const seenByLibp2p = await libp2pPeer.repo!.find<{ by: string[] }>(fromWs.url, { signal: AbortSignal.timeout(20_000) })
      expect(seenByLibp2p.doc().by).to.deep.equal(['websocket client'])

      // changed by the libp2p peer, seen by the WebSocket client
      seenByLibp2p.change(doc => { doc.by.push('libp2p peer') })
      const converged = await until(fromWs, doc => doc.by.length === 2)
      expect(converged.by).to.deep.equal(['websocket client', 'libp2p peer'])

      // created by the libp2p peer, read by the WebSocket client
      const fromLibp2p = libp2pPeer.repo!.create<{ n: number }>({ n: 42 })
      const seenByWs = await wsRepo.find<{ n: number }>(fromLibp2p.url, { signal: AbortSignal.timeout(20_000) })
      expect(seenByWs.doc().n).to.equal(42)
    } finally {
      await wsRepo?.shutdown()
      await Promise.all(peers.splice(0).map(async peer => peer.stop()))
      await bridge?.close()
    }
  })

  it('runs without a Repo when asked', async () => {
    const peer = await start({ repo: false })
    expect(peer.repo).to.be.undefined()
    await expect(peer.syncWith('/ip4/127.0.0.1/tcp/1')).to.eventually.be.rejected.with.property('name', 'NotStartedError')
  })
})
