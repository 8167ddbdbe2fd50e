/**
 * Errors of the access layer.
 */

/**
 * An access list (a file, or an argument of `share`) is malformed: an unknown right or mode, or a
 * file that is not an access list.
 */
export class AccessListError extends Error {
  static name = 'AccessListError'

  constructor (message = 'Invalid access list') {
    super(message)
    this.name = 'AccessListError'
  }
}
