/**
 * Lets a process keep WebRTC Direct's native UDP mux listeners alive after they stop (issue 12,
 * point 6). Imported for its effect, first, by the config modules that import `@libp2p/webrtc`.
 *
 * Why: a WebRTC Direct listener (`@libp2p/webrtc` 6.0.33) stops node-datachannel's
 * `IceUdpMuxListener` when it closes, and in node-datachannel 0.33.4 (libdatachannel 0.24.5) that
 * stop is a coin toss. `rtc::impl::IceUdpMuxListener::mStopped` is a `std::atomic<bool>` without an
 * initialiser (built as C++17, so it holds whatever the heap held; the constructor never writes its
 * byte, offset 0x58), and `stop()` returns at once when it reads non-zero. The listener is freed all
 * the same, while libjuice's "juice mux" thread keeps the STUN callback registered with the freed
 * listener as its argument. The next binding request with an unknown ufrag, a browser redialing
 * WebRTC Direct (the demo's pages do within a second), locks a mutex in freed memory: "terminate
 * called after throwing an instance of 'std::system_error' what(): Invalid argument", SIGABRT, at
 * any moment from libp2p.stop() to the end of exit(). Under gdb (`scripts/lab/demo-stops.ts`, four
 * stops of the demo) `stop()` read 89, 249, 109 and 0: only the stop that read 0 unregistered the
 * callback, two of the other three aborted in `IceUdpMuxListener::UnhandledStunRequestCallback`.
 * Closing connections first or node-datachannel's `cleanup()` cannot help: neither clears the
 * registration.
 *
 * Nothing outside the addon can clear it reliably, so the only safe stopped listener is one never
 * freed. This swaps the class `@libp2p/webrtc` gets for one whose `stop()` drops the JavaScript
 * callback and then, in a process that asked for it (`keepStoppedWebRTCDirectListeners()`,
 * ice-udp-mux-policy.ts: the docpeer daemon command, the demo), parks the native listener (its UDP
 * port and mux thread) until the process exits; otherwise it stops and frees it as before, because a
 * parked listener keeps the event loop alive. Requests that reach a parked listener are dropped; a
 * new listener on the same address and port takes the parked one over, so a node restarted in the
 * same process listens again instead of failing to register. The native callback is set once per
 * native listener: setting it again replaces a ThreadSafeCallback the mux thread may be calling at
 * that moment, with no lock on either side.
 *
 * The swap replaces `IceUdpMuxListener` on the addon's exports before node-datachannel's ESM entry
 * copies it, so it only takes if nothing imported node-datachannel (or `@libp2p/webrtc`) before:
 * defaults.ts imports this module before either role's module (what orders it in the CLI bundle,
 * where a static import beside `@libp2p/webrtc`'s chunk ran too late), and server.ts and nat.ts import
 * it first for whoever imports them directly. docpeer's CLI and demo load neither package earlier;
 * an app that imports one of them before docpeer keeps the native class.
 *
 * Upstream fix: `std::atomic<bool> mStopped = false;` in libdatachannel's
 * src/impl/iceudpmuxlistener.hpp, as every other atomic flag there is initialised
 * (`impl::WebSocketServer::mStopped` has the same gap), in a node-datachannel release that ships it.
 */
import { createRequire } from 'node:module'
import { keepsStoppedWebRTCDirectListeners } from './ice-udp-mux-policy.ts'

/**
 * What node-datachannel passes for a STUN binding request nobody on the port expected.
 */
interface UnhandledStunRequest {
  ufrag: string
  localUfrag: string
  host: string
  port: number
}

/**
 * The part of node-datachannel's `IceUdpMuxListener` that `@libp2p/webrtc` uses. Declared here:
 * docpeer does not depend on node-datachannel itself, it guards the copy `@libp2p/webrtc` loads.
 */
interface IceUdpMuxListener {
  stop(): void
  onUnhandledStunRequest(callback: (request: UnhandledStunRequest) => void): void
  port(): number
  address(): string | undefined
}

type IceUdpMuxListenerClass = new (port: number, address?: string) => IceUdpMuxListener

/**
 * A native listener this process created, by address and port, in use or parked. A parked one is
 * never removed: the map is what keeps it from being garbage-collected, which would free it too.
 */
interface Slot {
  native: IceUdpMuxListener
  onRequest?(request: UnhandledStunRequest): void
  inUse: boolean
}

const slots = new Map<string, Slot>()
const GUARDED = Symbol.for('docpeer.iceUdpMuxGuard')

function parkingListenerClass (Native: IceUdpMuxListenerClass): IceUdpMuxListenerClass {
  return class ParkingIceUdpMuxListener implements IceUdpMuxListener {
    readonly #slot: Slot
    readonly #key: string
    #stopped = false

    constructor (port: number, address?: string) {
      const key = `${address ?? ''}:${port}`
      const parked = slots.get(key)
      this.#key = key

      if (parked?.inUse === true) {
        // what the native constructor throws when the port already has a listener
        throw new Error('Failed to register ICE UDP mux listener')
      }

      this.#slot = parked ?? newSlot(new Native(port, address))
      this.#slot.inUse = true
      slots.set(key, this.#slot)
    }

    stop (): void {
      if (this.#stopped) {
        return
      }

      this.#stopped = true
      this.#slot.onRequest = undefined
      this.#slot.inUse = false

      if (!keepsStoppedWebRTCDirectListeners()) {
        // freed as node-datachannel frees it, so the event loop can end (ice-udp-mux-policy.ts)
        slots.delete(this.#key)
        this.#slot.native.stop()
      }
    }

    onUnhandledStunRequest (callback: (request: UnhandledStunRequest) => void): void {
      if (!this.#stopped) {
        this.#slot.onRequest = callback
      }
    }

    port (): number {
      return this.#slot.native.port()
    }

    address (): string | undefined {
      return this.#slot.native.address()
    }
  }
}

function newSlot (native: IceUdpMuxListener): Slot {
  const slot: Slot = { native, inUse: false }
  native.onUnhandledStunRequest(request => { slot.onRequest?.(request) })
  return slot
}

/**
 * The addon's exports object: node-datachannel loads the addon with `require`, so its module sits in
 * the CommonJS cache, shared with node-datachannel's ESM entry.
 */
function findAddon (cache: NodeJS.Require['cache']): { IceUdpMuxListener: IceUdpMuxListenerClass, [GUARDED]?: true } | undefined {
  return Object.values(cache).find(m => m?.filename.endsWith('.node') === true && typeof m.exports?.IceUdpMuxListener === 'function')?.exports
}

function guardIceUdpMuxListener (): void {
  // resolved from @libp2p/webrtc, so this is the copy of node-datachannel it loads
  const require = createRequire(import.meta.resolve('@libp2p/webrtc'))

  require('node-datachannel')
  const addon = findAddon(require.cache)

  if (addon == null || addon[GUARDED] === true) {
    return
  }

  addon.IceUdpMuxListener = parkingListenerClass(addon.IceUdpMuxListener)
  addon[GUARDED] = true
}

guardIceUdpMuxListener()
