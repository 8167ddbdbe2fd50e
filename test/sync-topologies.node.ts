/**
 * Sync and ephemeral messages across more than two peers: a hub that the spokes dial (the wiring
 * automerge-repo's own suite cannot run soundly with empty documents, see
 * test-vitest/adapter-suite.test.ts), relaying non-empty documents and presence between spokes
 * that never connect to each other.
 */
import { expect } from 'aegir/chai'
import { createSyncPeer, stopSyncPeers, waitFor } from '../harness/sync-nodes.ts'
import type { SyncPeer } from '../harness/sync-nodes.ts'
import type { DocHandle } from '@automerge/automerge-repo'

interface TestDoc {
  title: string
  by?: string[]
}

async function nextEphemeral (handle: DocHandle<unknown>, timeout = 10_000): Promise<{ senderId: string, message: unknown }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error('Timed out waiting for an ephemeral message')) }, timeout)
    handle.once('ephemeral-message', ({ senderId, message }) => {
      clearTimeout(timer)
      resolve({ senderId, message })
    })
  })
}

describe('sync: topologies', () => {
  let peers: SyncPeer[] = []

  afterEach(async () => {
    await stopSyncPeers(peers)
    peers = []
  })

  it('delivers ephemeral messages between two peers', async () => {
    const alice = await createSyncPeer('alice')
    const bob = await createSyncPeer('bob')
    peers = [alice, bob]
    await alice.node.dial(bob.node.getMultiaddrs()[0])
    // bob accepted the connection: its side is up a moment after alice's dial returns
    await waitFor(() => bob.adapter.peers.length === 1, 10_000, 'bob to see alice')

    const handle = alice.repo!.create<TestDoc>({ title: 'presence' })
    const bobHandle = await bob.repo!.find<TestDoc>(handle.url)

    // bob must have told alice it is interested before her broadcast goes to him
    await waitFor(async () => {
      const received = nextEphemeral(bobHandle, 200).catch(() => undefined)
      handle.broadcast({ cursor: 7 })
      const got = await received
      if (got != null) {
        expect(got).to.deep.equal({ senderId: 'alice', message: { cursor: 7 } })
        return true
      }
      return false
    }, 10_000, 'an ephemeral message')
  })

  it('syncs and relays presence through a hub the spokes dial', async () => {
    const hub = await createSyncPeer('hub')
    const alice = await createSyncPeer('alice')
    const charlie = await createSyncPeer('charlie')
    peers = [hub, alice, charlie]
    await alice.node.dial(hub.node.getMultiaddrs()[0])
    await charlie.node.dial(hub.node.getMultiaddrs()[0])
    await waitFor(() => hub.adapter.peers.length === 2, 10_000, 'the hub to see both spokes')

    const aliceHandle = alice.repo!.create<TestDoc>({ title: 'minutes', by: ['alice'] })
    // the hub is where the spokes look for documents, as a server peer would be
    const hubHandle = await hub.repo!.find<TestDoc>(aliceHandle.url)
    expect(hubHandle.doc().title).to.equal('minutes')

    // charlie may have been asked by the hub while the hub was still looking for the document,
    // and automerge-repo then holds it as unavailable until the hub offers it: retry the lookup
    let charlieHandle: DocHandle<TestDoc> | undefined
    await waitFor(async () => {
      charlieHandle = await charlie.repo!.find<TestDoc>(aliceHandle.url).catch(() => undefined)
      return charlieHandle != null
    }, 10_000, 'the document at charlie')
    if (charlieHandle == null) {
      throw new Error('unreachable')
    }
    expect(charlieHandle.doc().by).to.deep.equal(['alice'])

    const charlieDoc = charlieHandle
    charlieDoc.change(d => { d.by?.push('charlie') })
    await waitFor(() => aliceHandle.doc().by?.length === 2, 10_000, 'charlie\'s change at alice')

    aliceHandle.change(d => { d.title = 'minutes, final' })
    await waitFor(() => charlieDoc.doc().title === 'minutes, final', 10_000, 'alice\'s change at charlie')

    // alice's presence reaches charlie through the hub, naming alice (not the hub) as sender
    await waitFor(async () => {
      const received = nextEphemeral(charlieDoc, 200).catch(() => undefined)
      aliceHandle.broadcast({ cursor: 42 })
      const got = await received
      if (got != null) {
        expect(got).to.deep.equal({ senderId: 'alice', message: { cursor: 42 } })
        return true
      }
      return false
    }, 10_000, 'a relayed ephemeral message')

    expect(alice.adapter.peers).to.deep.equal(['hub'])
    expect(charlie.adapter.peers).to.deep.equal(['hub'])
    expect([...hub.adapter.peers].sort()).to.deep.equal(['alice', 'charlie'])
  })
})
