/**
 * automerge's WebSocket server adapter, with every client frame checked before the adapter reads
 * it. The adapter (2.5.6) trusts its clients: one frame of CBOR `null` or `undefined`, a `join`
 * without a `senderId`, or a `join` whose `supportedProtocolVersions` is not a list throws inside
 * the socket's message handler, which takes the whole process down (a daemon with
 * `--automerge-ws`, and every libp2p peer it serves). Here a frame that is not a well-formed
 * message gets an `error` message and its socket is closed; the other clients and the Repo go on.
 *
 * A client may not present a libp2p peer id either: the bridge cannot check it (only noise on a
 * libp2p connection proves one), and a client claiming a libp2p peer's id would take that peer's
 * messages in the Repo's routing.
 *
 * Nor does the adapter listen for a socket's `error` event, which `ws` emits for a frame it cannot
 * take (larger than the server's `maxPayload`, text that is not UTF-8, a bad opcode): with no
 * listener, that too throws and ends the process. Here it is reported, and `ws` closes the socket.
 */
import { WebSocketServerAdapter } from '@automerge/automerge-repo-network-websocket'
import { peerIdFromString } from '@libp2p/peer-id'
import { decodeMessage, encodeMessage, isJoinMessage, isRepoFrame } from '../sync/wire/messages.ts'

type ClientSocket = Parameters<WebSocketServerAdapter['receiveMessage']>[1]

/** WebSocket close code 1008: the client broke the protocol's rules */
const POLICY_VIOLATION = 1008

/** A client the bridge closed: the id it gave (if any) and why */
export interface RefusedClient {
  senderId?: string
  reason: string
}

export interface CheckedWebSocketServerAdapterInit {
  /** called for every client closed for a bad frame, and for a socket error `ws` reports */
  onRefused?(client: RefusedClient): void
}

export class CheckedWebSocketServerAdapter extends WebSocketServerAdapter {
  private readonly onRefused: (client: RefusedClient) => void

  constructor (server: ConstructorParameters<typeof WebSocketServerAdapter>[0], init: CheckedWebSocketServerAdapterInit = {}) {
    super(server)
    this.onRefused = init.onRefused ?? (() => {})

    server.on('connection', (socket: ClientSocket) => {
      socket.on('error', (err: Error) => { this.onRefused({ senderId: this.senderIdOf(socket), reason: err.message }) })
    })
  }

  receiveMessage (messageBytes: Uint8Array, socket: ClientSocket): void {
    let message: unknown

    try {
      message = decodeMessage(messageBytes)
    } catch (err: any) {
      this.refuse(socket, undefined, err.message)
      return
    }

    const problem = problemWith(message)

    if (problem != null) {
      this.refuse(socket, senderOf(message), problem)
      return
    }

    try {
      super.receiveMessage(messageBytes, socket)
    } catch (err: any) {
      // a frame that passed the checks and still threw (in the adapter or in the Repo it feeds):
      // the client that sent it goes, the process stays
      this.refuse(socket, senderOf(message), `the frame could not be handled: ${err.message}`)
    }
  }

  private senderIdOf (socket: ClientSocket): string | undefined {
    return Object.keys(this.sockets).find(peerId => this.sockets[peerId as keyof typeof this.sockets] === socket)
  }

  private refuse (socket: ClientSocket, senderId: string | undefined, reason: string): void {
    this.onRefused({ senderId, reason })

    try {
      socket.send(encodeMessage({ type: 'error', senderId: this.peerId, message: reason, targetId: senderId ?? '' }))
    } catch {
      // the socket is already going; closing it below is all that is left to do
    }

    // a close reason is at most 123 bytes; the error message above carries the whole text
    socket.close(POLICY_VIOLATION, Buffer.from(reason).subarray(0, 123).toString())
  }
}

/**
 * Why a decoded frame is not one the adapter may read, or `undefined` when it is.
 */
function problemWith (message: unknown): string | undefined {
  if (isJoinMessage(message)) {
    return isLibp2pPeerId(message.senderId)
      ? `a WebSocket client cannot use a libp2p peer id (${message.senderId}): only a libp2p connection proves one`
      : undefined
  }

  if (isRepoFrame(message)) {
    return undefined
  }

  if ((message as { type?: unknown } | null)?.type === 'join') {
    return 'a malformed join: it needs a senderId string (peerMetadata, and supportedProtocolVersions as a list of strings, may be left out)'
  }

  return 'not an automerge-repo message: a join, or a message with a type, a senderId and a targetId'
}

function senderOf (message: unknown): string | undefined {
  const senderId = (message as { senderId?: unknown } | null)?.senderId
  return typeof senderId === 'string' ? senderId : undefined
}

function isLibp2pPeerId (id: string): boolean {
  try {
    peerIdFromString(id)
    return true
  } catch {
    return false
  }
}
