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
