/**
 * What happens to a stopped WebRTC Direct listener in this process: parked or freed
 * (src/config/ice-udp-mux-guard.ts says why node-datachannel 0.33.4 makes both costly).
 *
 * Freed (the default, what node-datachannel does), the process can end by itself once its peers
 * stopped, but the native stop skipped unregistering the listener's STUN callback in 5 of 7 stops
 * measured under gdb, and a WebRTC Direct dial that reaches the port afterwards (browsers redial) aborts the
 * process with SIGABRT. Parked, nothing can abort, but node-datachannel's callback into JavaScript
 * (a thread-safe function that only a native stop releases) keeps the event loop alive, so the
 * process ends only by `process.exit()`: a script that expects its process to end by itself once its
 * server stopped (README "Who can read your documents") hung there.
 *
 * So a process that always ends with `process.exit()` asks for parking: the `docpeer daemon` command
 * (bin/docpeer.js exits with its exit code) and `npm run demo`. No imports: the CLI sets it without
 * loading libp2p.
 */

let keep = false

/**
 * Keep stopped WebRTC Direct listeners (their UDP port and native thread) until the process exits,
 * instead of freeing them: call it in a process that ends with `process.exit()`, before its peers
 * stop. A peer started again on the same address and port takes its parked listener over.
 *
 * Until called, stopped listeners are freed, and the event loop can end by itself.
 */
export function keepStoppedWebRTCDirectListeners (keepThem = true): void {
  keep = keepThem
}

export function keepsStoppedWebRTCDirectListeners (): boolean {
  return keep
}
