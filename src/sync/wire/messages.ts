/**
 * What a frame says: automerge-repo's CBOR encoding of one message, the handshake messages of the
 * sync protocol and the guards that check what arrives. The handshake is shaped like automerge-repo's
 * WebSocket adapter (`@automerge/automerge-repo-network-websocket` src/messages.ts) so the two read
 * alike. Everything that arrives from the network is untrusted: the guards check shapes, not just
 * the `type` tag.
 */
import { cbor } from '@automerge/automerge-repo/slim'
import { InvalidMessageError } from '@libp2p/interface'
import type { Message, PeerId, PeerMetadata } from '@automerge/automerge-repo/slim'

/**
 * Version of the message exchange carried inside the libp2p protocol. The libp2p protocol id
 * versions the framing; this versions what the frames say, as in automerge's WebSocket adapter.
 */
export const PROTOCOL_V1 = '1'
export type ProtocolVersion = typeof PROTOCOL_V1
export const SUPPORTED_PROTOCOL_VERSIONS: ProtocolVersion[] = [PROTOCOL_V1]

/**
 * First frame on every sync stream, from the peer that opened it: who it is and what it speaks.
 */
export interface JoinMessage {
  type: 'join'
  senderId: PeerId
  peerMetadata: PeerMetadata
  supportedProtocolVersions: ProtocolVersion[]
}

/**
 * Reply of the peer that accepted the stream: who it is and the version both will use.
 */
export interface PeerMessage {
  type: 'peer'
  senderId: PeerId
  peerMetadata: PeerMetadata
  selectedProtocolVersion: ProtocolVersion
  targetId: PeerId
}

/**
 * Reply that refuses the stream; the sender closes it after this frame.
 */
export interface ErrorMessage {
  type: 'error'
  senderId: PeerId
  message: string
  targetId: PeerId
}

export type HandshakeMessage = JoinMessage | PeerMessage | ErrorMessage

/**
 * A message as a frame's payload: automerge-repo's CBOR.
 */
export function encodeMessage (message: unknown): Uint8Array {
  return cbor.encode(message)
}

/**
 * A frame's payload as a message, still untrusted; `InvalidMessageError` when it is not CBOR.
 */
export function decodeMessage (payload: Uint8Array): unknown {
  try {
    return cbor.decode(payload)
  } catch (err: any) {
    throw new InvalidMessageError(`Frame is not CBOR: ${err.message}`)
  }
}

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
}

function isPeerIdString (value: unknown): value is PeerId {
  return typeof value === 'string' && value.length > 0
}

function isPeerMetadata (value: unknown): value is PeerMetadata {
  if (value === undefined) {
    return true
  }

  if (!isRecord(value)) {
    return false
  }

  return (value.storageId === undefined || typeof value.storageId === 'string') &&
    (value.isEphemeral === undefined || typeof value.isEphemeral === 'boolean')
}

/**
 * Keeps only the metadata fields automerge-repo defines, so a peer cannot smuggle other keys into
 * the `peer-candidate` event.
 */
export function cleanPeerMetadata (value: PeerMetadata | undefined): PeerMetadata {
  const metadata: PeerMetadata = {}

  if (value?.storageId !== undefined) {
    metadata.storageId = value.storageId
  }

  if (value?.isEphemeral !== undefined) {
    metadata.isEphemeral = value.isEphemeral
  }

  return metadata
}

export function isJoinMessage (value: unknown): value is JoinMessage {
  return isRecord(value) &&
    value.type === 'join' &&
    isPeerIdString(value.senderId) &&
    isPeerMetadata(value.peerMetadata) &&
    // automerge's WebSocket server treats a missing list as version 1
    (value.supportedProtocolVersions === undefined || (Array.isArray(value.supportedProtocolVersions) && value.supportedProtocolVersions.every(v => typeof v === 'string')))
}

export function isPeerMessage (value: unknown): value is PeerMessage {
  return isRecord(value) &&
    value.type === 'peer' &&
    isPeerIdString(value.senderId) &&
    isPeerIdString(value.targetId) &&
    isPeerMetadata(value.peerMetadata) &&
    typeof value.selectedProtocolVersion === 'string'
}

export function isErrorMessage (value: unknown): value is ErrorMessage {
  return isRecord(value) &&
    value.type === 'error' &&
    typeof value.message === 'string'
}

/**
 * A repo message as far as the adapter cares: a `type`, a sender and a target. automerge-repo
 * checks the rest (and ignores types it does not know).
 */
export function isRepoFrame (value: unknown): value is Message {
  return isRecord(value) &&
    typeof value.type === 'string' &&
    value.type !== 'join' && value.type !== 'peer' && value.type !== 'error' &&
    isPeerIdString(value.senderId) &&
    isPeerIdString(value.targetId)
}

/**
 * The highest version both sides speak, or `undefined`.
 */
export function selectProtocolVersion (versions: string[] | undefined): ProtocolVersion | undefined {
  if (versions === undefined) {
    return PROTOCOL_V1
  }

  return SUPPORTED_PROTOCOL_VERSIONS.find(v => versions.includes(v))
}
