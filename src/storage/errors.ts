/**
 * Errors of the storage layer: the data directory and the key kept in it.
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
 * A document is in storage but its stored data cannot be loaded (a damaged chunk file, say).
 * docpeer leaves the data as it is: the error names the document and what the load said.
 */
export class DocumentUnreadableError extends Error {
  static name = 'DocumentUnreadableError'

  constructor (message = 'The document is stored but cannot be read') {
    super(message)
    this.name = 'DocumentUnreadableError'
  }
}
