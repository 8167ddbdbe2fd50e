/**
 * Errors of the control API.
 */

/**
 * No daemon answers on the data directory's control socket (no socket, or a stale one left by a
 * daemon that was killed).
 */
export class DaemonNotRunningError extends Error {
  static name = 'DaemonNotRunningError'

  constructor (message = 'No daemon is running on this data directory') {
    super(message)
    this.name = 'DaemonNotRunningError'
  }
}

/**
 * The control socket or its directory is unsafe to use or cannot be created: wrong owner, wrong
 * type, too long a path, or another process answers on it.
 */
export class ControlSocketError extends Error {
  static name = 'ControlSocketError'

  constructor (message = 'The control socket cannot be used') {
    super(message)
    this.name = 'ControlSocketError'
  }
}

/**
 * A request the daemon does not understand (unknown method, missing or malformed parameters).
 */
export class InvalidControlRequestError extends Error {
  static name = 'InvalidControlRequestError'

  constructor (message = 'Invalid control request') {
    super(message)
    this.name = 'InvalidControlRequestError'
  }
}

/**
 * The daemon answered a request with an error; `name` is the daemon-side error's name.
 */
export class ControlRequestError extends Error {
  static name = 'ControlRequestError'

  constructor (name: string, message: string) {
    super(message)
    // the daemon's error name, so callers (and the CLI's exit codes) can tell errors apart
    this.name = name
  }
}

/**
 * `disconnect` named a peer this node has no connection to.
 */
export class NotConnectedError extends Error {
  static name = 'NotConnectedError'

  constructor (message = 'Not connected to that peer') {
    super(message)
    this.name = 'NotConnectedError'
  }
}

/**
 * The daemon has no Repo (`--no-serve-docs`), so document commands cannot go through it.
 */
export class NoDocumentsError extends Error {
  static name = 'NoDocumentsError'

  constructor (message = 'The daemon does not keep documents (it runs with --no-serve-docs)') {
    super(message)
    this.name = 'NoDocumentsError'
  }
}

/**
 * The daemon runs without helia (no `--helia`), so it cannot fetch blocks.
 */
export class NoHeliaError extends Error {
  static name = 'NoHeliaError'

  constructor (message = 'The daemon runs without helia (start it with --helia to fetch blocks)') {
    super(message)
    this.name = 'NoHeliaError'
  }
}
