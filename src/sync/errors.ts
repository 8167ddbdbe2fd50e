/**
 * Errors of the sync adapter and its wire protocol. Conditions that `@libp2p/interface` already
 * names (invalid parameters, timeouts) use its classes instead.
 */

/**
 * A sync frame named a sender other than the automerge peer that completed the handshake on its
 * stream. The frame is dropped and the stream reset.
 */
export class SenderMismatchError extends Error {
  static name = 'SenderMismatchError'

  constructor (message = 'The message sender does not match the peer of the stream') {
    super(message)
    this.name = 'SenderMismatchError'
  }
}

/**
 * A sync frame was addressed to another peer than this one. The frame is dropped and the stream
 * reset.
 */
export class TargetMismatchError extends Error {
  static name = 'TargetMismatchError'

  constructor (message = 'The message is not addressed to this peer') {
    super(message)
    this.name = 'TargetMismatchError'
  }
}

/**
 * A sync message is larger than the adapter's `maxMessageSize`.
 */
export class MessageTooLargeError extends Error {
  static name = 'MessageTooLargeError'

  constructor (message = 'The message is larger than the maximum message size') {
    super(message)
    this.name = 'MessageTooLargeError'
  }
}

/**
 * The two peers share no version of the sync protocol.
 */
export class UnsupportedProtocolVersionError extends Error {
  static name = 'UnsupportedProtocolVersionError'

  constructor (message = 'No common sync protocol version') {
    super(message)
    this.name = 'UnsupportedProtocolVersionError'
  }
}

/**
 * The automerge peer id a remote presented is not its authenticated libp2p peer id (with
 * `peerIdMatchesLibp2p`), or differs between its two sync streams.
 */
export class PeerIdMismatchError extends Error {
  static name = 'PeerIdMismatchError'

  constructor (message = 'The automerge peer id does not match the libp2p peer id') {
    super(message)
    this.name = 'PeerIdMismatchError'
  }
}

/**
 * The remote peer is on the adapter's deny list or missing from its allow list.
 */
export class PeerNotAllowedError extends Error {
  static name = 'PeerNotAllowedError'

  constructor (message = 'The peer is not allowed to sync') {
    super(message)
    this.name = 'PeerNotAllowedError'
  }
}

/**
 * Another libp2p peer already syncs under the automerge peer id a remote presented.
 */
export class DuplicatePeerIdError extends Error {
  static name = 'DuplicatePeerIdError'

  constructor (message = 'The automerge peer id is already in use by another connected peer') {
    super(message)
    this.name = 'DuplicatePeerIdError'
  }
}

/**
 * The remote refused the sync handshake with an `error` message.
 */
export class HandshakeRejectedError extends Error {
  static name = 'HandshakeRejectedError'

  constructor (message = 'The remote peer refused the sync handshake') {
    super(message)
    this.name = 'HandshakeRejectedError'
  }
}

/**
 * The sync adapter was disconnected; its streams end with this error.
 */
export class SyncStoppedError extends Error {
  static name = 'SyncStoppedError'

  constructor (message = 'The sync adapter was disconnected') {
    super(message)
    this.name = 'SyncStoppedError'
  }
}
