/**
 * libp2p's WebSocket transport, with the errors of its inbound sockets caught.
 *
 * Why: `@libp2p/websockets` 10.1.21 accepts inbound connections with a `ws` server and adds
 * listeners for a socket's `close` and `message` events, but not for `error`. `ws` reports a frame it
 * refuses (text that is not UTF-8, one over its 100 MiB `maxPayload`, a bad opcode or close code) as
 * an `error` event, and an `error` event with no listener throws: one such frame from anyone who
 * can reach the port, before noise and with no peer id, ended the daemon or server listening on
 * `/ws` or `/wss`. With a listener, `ws` closes that socket and libp2p drops the connection as on
 * any other close. (Outbound sockets are the platform's `WebSocket`, an EventTarget, which has no
 * such trap.)
 *
 * The listener hands each upgraded socket to its (private) `onWsServerConnection`; the guard wraps
 * that method to listen first. If a release renames it, creating the listener fails with a
 * message that says so, rather than listening unguarded.
 */
import { webSockets } from '@libp2p/websockets'
import type { CreateListenerOptions, Listener, Transport } from '@libp2p/interface'
import type { WebSocketsComponents, WebSocketsInit } from '@libp2p/websockets'
import type { IncomingMessage } from 'node:http'
import type { WebSocket } from 'ws'

/** how the listener takes a socket `ws` upgraded */
type OnConnection = (socket: WebSocket, request: IncomingMessage) => void

export function guardedWebSockets (init: WebSocketsInit = {}): (components: WebSocketsComponents) => Transport {
  const createTransport = webSockets(init)

  return (components) => {
    const transport = createTransport(components)
    const log = components.logger.forComponent('docpeer:websockets')
    const createListener = transport.createListener.bind(transport)

    transport.createListener = (options: CreateListenerOptions): Listener => {
      const listener = createListener(options) as Listener & { onWsServerConnection?: OnConnection }
      const onConnection = listener.onWsServerConnection

      if (typeof onConnection !== 'function') {
        throw new Error('the @libp2p/websockets listener has no onWsServerConnection any more: docpeer cannot catch its sockets\' errors (src/config/websocket-listener-errors.ts)')
      }

      listener.onWsServerConnection = (socket, request) => {
        socket.on('error', (err: Error) => { log('closing an inbound WebSocket - %s', err.message) })
        onConnection.call(listener, socket, request)
      }

      return listener
    }

    return transport
  }
}
