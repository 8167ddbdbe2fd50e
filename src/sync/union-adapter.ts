/**
 * Several automerge-repo network adapters as one, for a Repo that can reach the same peer in more
 * than one way. In a page, docpeer's libp2p adapter and automerge's BroadcastChannel adapter both
 * reach another tab of the same browser: at once through the channel, and over WebRTC once
 * discovery through the server has found it.
 *
 * automerge-repo 2.5.6's NetworkSubsystem keeps one adapter per peer (the first to announce it) and
 * forgets the peer as soon as any adapter reports it gone: when the WebRTC connection to a tab
 * closes, the Repo stops syncing with that tab although the BroadcastChannel still reaches it.
 * This adapter announces each peer once, sends through one adapter that reaches it, and only
 * reports the peer gone when no adapter reaches it any more. When the way it was sending through
 * goes and another remains, it reports the peer gone and back, so the Repo starts a fresh sync on
 * the remaining way instead of waiting for answers to messages lost with the old one.
 */
import { NetworkAdapter } from '@automerge/automerge-repo/slim'
import type { Message, NetworkAdapterInterface, PeerCandidatePayload, PeerDisconnectedPayload, PeerId, PeerMetadata } from '@automerge/automerge-repo/slim'

interface Route {
  adapter: NetworkAdapterInterface
  metadata: PeerMetadata
}

export interface UnionNetworkAdapterInit {
  /**
   * Where to say which ways reach a peer as they come and go, and that a message was dropped
   * because no adapter reaches its target.
   */
  log?(format: string, ...args: unknown[]): void
}

export class UnionNetworkAdapter extends NetworkAdapter {
  readonly adapters: readonly NetworkAdapterInterface[]
  private readonly routes = new Map<PeerId, Route[]>()
  private readonly open = new Set<NetworkAdapterInterface>()
  private readonly log: (format: string, ...args: unknown[]) => void

  constructor (adapters: NetworkAdapterInterface[], init: UnionNetworkAdapterInit = {}) {
    super()
    this.adapters = [...adapters]
    this.log = init.log ?? (() => {})

    for (const adapter of this.adapters) {
      this.open.add(adapter)
      adapter.on('peer-candidate', payload => { this.onCandidate(adapter, payload) })
      adapter.on('peer-disconnected', payload => { this.onDisconnected(adapter, payload) })
      adapter.on('message', message => { this.emit('message', message) })
      adapter.on('close', () => { this.onClose(adapter) })
    }
  }

  isReady (): boolean {
    return this.adapters.every(adapter => adapter.isReady())
  }

  async whenReady (): Promise<void> {
    await Promise.all(this.adapters.map(async adapter => adapter.whenReady()))
  }

  connect (peerId: PeerId, peerMetadata?: PeerMetadata): void {
    this.peerId = peerId
    this.peerMetadata = peerMetadata

    for (const adapter of this.adapters) {
      adapter.connect(peerId, peerMetadata)
    }
  }

  /**
   * The adapter messages to `peerId` go through (the first that announced it and still reaches
   * it), if any does.
   */
  routeOf (peerId: PeerId): NetworkAdapterInterface | undefined {
    return this.routes.get(peerId)?.[0]?.adapter
  }

  send (message: Message): void {
    const route = this.routes.get(message.targetId)?.[0]

    if (route == null) {
      this.log('no adapter reaches %s, dropping a %s message', message.targetId, message.type)
      return
    }

    route.adapter.send(message)
  }

  disconnect (): void {
    // each adapter reports its peers gone, which empties the routes
    for (const adapter of this.adapters) {
      adapter.disconnect()
    }
  }

  private onCandidate (adapter: NetworkAdapterInterface, { peerId, peerMetadata }: PeerCandidatePayload): void {
    const routes = this.routes.get(peerId) ?? []
    const known = routes.find(route => route.adapter === adapter)

    if (known != null) {
      known.metadata = peerMetadata
      return
    }

    routes.push({ adapter, metadata: peerMetadata })
    this.routes.set(peerId, routes)
    this.log('%s reached through %s (%d ways)', peerId, nameOf(adapter), routes.length)

    if (routes.length === 1) {
      this.emit('peer-candidate', { peerId, peerMetadata })
    }
  }

  private onDisconnected (adapter: NetworkAdapterInterface, { peerId }: PeerDisconnectedPayload): void {
    const routes = this.routes.get(peerId)
    const index = routes?.findIndex(route => route.adapter === adapter) ?? -1

    if (routes == null || index < 0) {
      return
    }

    routes.splice(index, 1)
    this.log('%s no longer reached through %s (%d ways left)', peerId, nameOf(adapter), routes.length)

    if (routes.length === 0) {
      this.routes.delete(peerId)
      this.emit('peer-disconnected', { peerId })
    } else if (index === 0) {
      // the way messages went is gone: start over on the next one
      this.emit('peer-disconnected', { peerId })
      this.emit('peer-candidate', { peerId, peerMetadata: routes[0].metadata })
    }
  }

  private onClose (adapter: NetworkAdapterInterface): void {
    for (const [peerId, routes] of [...this.routes]) {
      if (routes.some(route => route.adapter === adapter)) {
        this.onDisconnected(adapter, { peerId })
      }
    }

    this.open.delete(adapter)

    if (this.open.size === 0) {
      this.emit('close')
    }
  }
}

/** an adapter's class name, for the log */
function nameOf (adapter: NetworkAdapterInterface): string {
  return adapter.constructor.name
}
