/**
 * The child side of `ChildPeer`'s IPC protocol (child-peer.ts), shared by the reliability peer and
 * the NAT lab's peer: answers requests `{ id, type, ... }` with `{ id, ... }` (or `{ id, error }`)
 * from a table of handlers, stops the peer and exits 0 on `stop` or when the parent goes away, and
 * sends `{ type: 'ready', peerId, addrs }` once it serves.
 */
import type { Docpeer } from '../../src/index.ts'

export type PeerRequestHandlers = Record<string, (request: any) => Promise<Record<string, unknown>>>

export function servePeerRequests (peer: Docpeer, handlers: PeerRequestHandlers): void {
  const send = (message: unknown): void => { process.send?.(message) }

  process.on('message', (request: any) => {
    const answer = async (): Promise<Record<string, unknown>> => {
      if (request.type === 'stop') {
        await peer.stop()
        send({ id: request.id })
        process.exit(0)
      }

      const handler = handlers[request.type]
      return handler == null ? { error: `unknown request ${request.type}` } : handler(request)
    }

    answer().then(reply => { send({ id: request.id, ...reply }) }, err => { send({ id: request.id, error: err.message }) })
  })

  process.on('disconnect', () => {
    // the parent went away: do not linger
    peer.stop().finally(() => process.exit(0))
  })

  send({ type: 'ready', peerId: peer.peerId.toString(), addrs: peer.libp2p.getMultiaddrs().map(ma => ma.toString()) })
}
