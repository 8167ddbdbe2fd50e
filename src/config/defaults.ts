/**
 * libp2p options for Node.js peers. The browser build swaps this file for `defaults.browser.ts`
 * through the package.json "browser" field; both export `libp2pDefaults` with the same signature.
 *
 * Each role's options live in a module of their own (`daemon.ts`, `server.ts`), imported when the
 * role is asked for: the server's WebRTC Direct transport loads a native WebRTC library, which a
 * daemon should not pay for at start.
 */
import type { ConfigInit, PeerRole } from './types.ts'
import type { Libp2pOptions } from 'libp2p'

export type { ConfigInit, PeerRole, TlsPem, RelayServerLimits, Ports, IceServer } from './types.ts'

/**
 * The role a peer takes when none is given.
 */
export const DEFAULT_ROLE: PeerRole = 'daemon'

/**
 * Which roles this build of docpeer can take.
 */
export const SUPPORTED_ROLES: readonly PeerRole[] = ['daemon', 'server']

/**
 * Builds the libp2p options of a Node.js peer. The result is a plain object: change any part of it
 * before passing it to `createLibp2p`, or pass `libp2p` overrides to `createPeer`.
 */
export async function libp2pDefaults (init: ConfigInit = {}): Promise<Libp2pOptions<any>> {
  const role = init.role ?? DEFAULT_ROLE

  if (!SUPPORTED_ROLES.includes(role)) {
    throw new TypeError(`Unknown role "${role}" for a Node.js peer: use one of ${SUPPORTED_ROLES.join(', ')}`)
  }

  // before either role's module: in the CLI bundle esbuild puts the guard in the same chunk as
  // @libp2p/webrtc, whose import of node-datachannel ESM evaluates before that chunk's code
  await import('./ice-udp-mux-guard.ts')

  if (role === 'server') {
    const { serverOptions } = await import('./server.ts')
    return serverOptions(init)
  }

  const { daemonOptions } = await import('./daemon.ts')
  return daemonOptions(init)
}
