import { PROTOCOL_PREFIX } from '../constants.ts'

export const SYNC_PROTOCOL_NAME = 'automerge-repo'
export const SYNC_PROTOCOL_VERSION = '1.0.0'

/**
 * The libp2p protocol that carries automerge-repo sync: `/docpeer/automerge-repo/1.0.0`.
 */
export const SYNC_PROTOCOL = `/${PROTOCOL_PREFIX}/${SYNC_PROTOCOL_NAME}/${SYNC_PROTOCOL_VERSION}`

/**
 * Largest frame sent or accepted. A whole document travels in one automerge sync message when a
 * peer first asks for it, so this bounds the size of a document that can sync: 64 MiB leaves room
 * for a 20 MB document with a long history.
 */
export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024

/**
 * Largest frame read before the handshake is done. A `join` or `peer` message is a few hundred
 * bytes; a peer that announces more before saying who it is gets its stream reset at the prefix.
 */
export const MAX_HANDSHAKE_SIZE = 64 * 1024

/**
 * Time allowed from opening a stream to a completed handshake.
 */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000

/**
 * Sync streams per connection and direction. One is used; the slack covers a stream that is
 * being replaced while its reset is still on the way.
 */
export const DEFAULT_MAX_INBOUND_STREAMS = 4
export const DEFAULT_MAX_OUTBOUND_STREAMS = 4

/**
 * Queued frames to one peer are written together up to this many bytes, so a burst of small
 * sync messages costs one muxer frame and one encryption instead of one each.
 */
export const WRITE_BATCH_BYTES = 256 * 1024
