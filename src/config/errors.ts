/**
 * Errors of the role configuration.
 */

/**
 * The TLS certificate or key given to a server peer cannot be read or is not PEM.
 */
export class TlsConfigError extends Error {
  static name = 'TlsConfigError'

  constructor (message = 'The TLS certificate or key is invalid') {
    super(message)
    this.name = 'TlsConfigError'
  }
}

/**
 * A STUN or TURN server URL is malformed, or a TURN server has no credentials.
 */
export class InvalidIceServerError extends Error {
  static name = 'InvalidIceServerError'

  constructor (message = 'The STUN or TURN server is invalid') {
    super(message)
    this.name = 'InvalidIceServerError'
  }
}
