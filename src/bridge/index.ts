/**
 * A bridge to plain automerge-repo clients: automerge's own WebSocket server adapter, meant to sit
 * in a docpeer Repo beside the libp2p adapter, so an app using `WebSocketClientAdapter`
 * (`BrowserWebSocketClientAdapter`) syncs with every libp2p peer of the daemon. Node.js only: import
 * it from `docpeer/bridge`.
 *
 * WebSocket clients are not authenticated: any client may claim any automerge peer id, as with
 * automerge's own sync server. Expose the port only where that is acceptable.
 */
import { WebSocketServerAdapter } from '@automerge/automerge-repo-network-websocket'
import { WebSocketServer } from 'ws'
import type { AddressInfo } from 'node:net'

export interface AutomergeWebSocketBridgeInit {
  /**
   * TCP port; 0 picks a free one.
   */
  port: number

  /**
   * @default '0.0.0.0'
   */
  host?: string
}

export interface AutomergeWebSocketBridge {
  /**
   * Add this to the Repo's network adapters (`createPeer({ repo: { network: [bridge.adapter] } })`).
   */
  adapter: WebSocketServerAdapter
  /**
   * The port it listens on.
   */
  port: number
  /**
   * The `ws://` URL clients connect to (with the listening host; use the machine's name or address
   * from other hosts).
   */
  url: string
  close(): Promise<void>
}

/**
 * Starts listening; rejects with a clear message when the port is taken.
 */
export async function automergeWebSocketBridge (init: AutomergeWebSocketBridgeInit): Promise<AutomergeWebSocketBridge> {
  const host = init.host ?? '0.0.0.0'
  const server = new WebSocketServer({ port: init.port, host })

  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', (err: any) => {
      reject(new Error(`cannot listen for automerge WebSocket clients on ${host}:${init.port}: ${err.message}`))
    })
  })

  const { port } = server.address() as AddressInfo

  return {
    // the adapter is typed against isomorphic-ws's copy of the ws types; the server is the same class
    adapter: new WebSocketServerAdapter(server as unknown as ConstructorParameters<typeof WebSocketServerAdapter>[0]),
    port,
    url: `ws://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    close: async () => {
      server.clients.forEach(client => { client.terminate() })
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  }
}
