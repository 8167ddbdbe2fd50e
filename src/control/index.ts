/**
 * The control API of a running `docpeer daemon`, for programs on the same machine: the functions
 * the `docpeer status`, `peers`, `connect`, `disconnect` and `id` commands call. Node.js only:
 * import it from `docpeer/control`.
 *
 * @example
 * ```ts
 * import { status } from 'docpeer/control'
 *
 * const info = await status('./.docpeer')
 * console.info(info.peerId, info.connections.length)
 * ```
 */
export { connectControl, controlRequest, status, peers, connect, disconnect, id, runningDaemonId } from './client.ts'
export type { ControlClient, RequestOptions } from './client.ts'
export { controlSocketPath, CONTROL_DIR, CONTROL_SOCKET } from './protocol.ts'
export type { StatusInfo, ConnectionInfo, AddressInfo, ReservationInfo, ConnectParams, ConnectResult, DisconnectResult, IdResult } from './protocol.ts'
export * from './errors.ts'
