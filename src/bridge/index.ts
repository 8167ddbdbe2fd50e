/**
 * A bridge to plain automerge-repo clients: automerge's own WebSocket server adapter, meant to sit
 * in a docpeer Repo beside the libp2p adapter, so an app using `WebSocketClientAdapter`
 * (`BrowserWebSocketClientAdapter`) syncs with every libp2p peer of the daemon. Node.js only: import
 * it from `docpeer/bridge`.
 *
 * WebSocket clients are not authenticated by key: any client may claim any automerge peer id, as
 * with automerge's own sync server, and docpeer's access lists (bound to libp2p peer ids) do not
 * apply to them. So the bridge listens on loopback unless told otherwise, and with a `token` it
 * accepts only clients whose URL carries `?token=<token>` (the `url` it reports does). A client
 * that sends a frame that is not a well-formed message, or one larger than a libp2p peer may send
 * (64 MiB), or presents a libp2p peer id, is closed (checked-server-adapter.ts).
 */
import { timingSafeEqual } from 'node:crypto'
import { WebSocketServer } from 'ws'
import { DEFAULT_MAX_MESSAGE_SIZE } from '../sync/constants.ts'
import { CheckedWebSocketServerAdapter } from './checked-server-adapter.ts'
import type { RefusedClient } from './checked-server-adapter.ts'
import type { WebSocketServerAdapter } from '@automerge/automerge-repo-network-websocket'
import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

export type { RefusedClient }

export interface AutomergeWebSocketBridgeInit {
  /**
   * TCP port; 0 picks a free one.
   */
  port: number

  /**
   * The address to listen on.
   *
   * @default '127.0.0.1'
   */
  host?: string

  /**
   * Accept only clients that connect with `?token=<token>` in the URL.
   */
  token?: string

  /**
   * Called for each client closed for a bad frame, a frame `ws` refuses or a libp2p peer id, with
   * why.
   */
  onRefused?(client: RefusedClient): void
}

export interface AutomergeWebSocketBridge {
  /**
   * Add this to the Repo's network adapters (`createPeer({ repo: { network: [bridge.adapter] } })`).
   */
  adapter: WebSocketServerAdapter
  /**
   * The address and port it listens on.
   */
  host: string
  port: number
  /**
   * The `ws://` URL clients connect to (with the token, if any). For a bridge listening on every
   * interface it names 127.0.0.1; use the machine's name or address from other hosts.
   */
  url: string
  close(): Promise<void>
}

function tokenMatches (request: IncomingMessage, token: string): boolean {
  const given = new URL(request.url ?? '/', 'ws://bridge').searchParams.get('token') ?? ''
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.byteLength === b.byteLength && timingSafeEqual(a, b)
}

/**
 * Starts listening; rejects with a clear message when the port is taken.
 */
export async function automergeWebSocketBridge (init: AutomergeWebSocketBridgeInit): Promise<AutomergeWebSocketBridge> {
  const host = init.host ?? '127.0.0.1'
  const token = init.token
  const server = new WebSocketServer({
    port: init.port,
    host,
    // a client's frame is bounded as a libp2p peer's is: a larger one closes the client (1009)
    maxPayload: DEFAULT_MAX_MESSAGE_SIZE,
    ...(token == null ? {} : { verifyClient: ({ req }: { req: IncomingMessage }) => tokenMatches(req, token) })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', (err: any) => {
      reject(new Error(`cannot listen for automerge WebSocket clients on ${host}:${init.port}: ${err.message}`))
    })
  })

  const { address, port } = server.address() as AddressInfo
  const urlHost = address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '[::1]' : address.includes(':') ? `[${address}]` : address

  return {
    // the adapter is typed against isomorphic-ws's copy of the ws types; the server is the same class
    adapter: new CheckedWebSocketServerAdapter(server as unknown as ConstructorParameters<typeof WebSocketServerAdapter>[0], { onRefused: init.onRefused }),
    host: address,
    port,
    url: `ws://${urlHost}:${port}${token == null ? '' : `/?token=${encodeURIComponent(token)}`}`,
    close: async () => {
      server.clients.forEach(client => { client.terminate() })
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  }
}
