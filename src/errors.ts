/**
 * Errors of docpeer's own conditions. Conditions that `@libp2p/interface` already names (invalid
 * multiaddr, invalid parameters, timeouts) use its classes instead.
 */

/**
 * The key store in the data directory exists but cannot be read or decoded. docpeer never replaces
 * it silently: the peer id would change and every peer that knows this one would lose it.
 */
export class KeyStoreError extends Error {
  static name = 'KeyStoreError'

  constructor (message = 'The key store could not be read') {
    super(message)
    this.name = 'KeyStoreError'
  }
}

/**
 * The data directory cannot be opened: missing permissions, not a directory, or held by another
 * running docpeer process.
 */
export class DataDirError extends Error {
  static name = 'DataDirError'

  constructor (message = 'The data directory could not be opened') {
    super(message)
    this.name = 'DataDirError'
  }
}

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
 * The Node.js running docpeer is older than libp2p needs.
 */
export class UnsupportedRuntimeError extends Error {
  static name = 'UnsupportedRuntimeError'

  constructor (message = 'This Node.js version is not supported') {
    super(message)
    this.name = 'UnsupportedRuntimeError'
  }
}
