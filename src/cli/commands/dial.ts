/**
 * `docpeer dial <multiaddr>`: a short-lived peer (new identity, no listener, no discovery) dials a
 * peer, prints who answered, over which address and the ping round trip, and stops.
 */
import { isPeerId } from '@libp2p/interface'
import { parseDialTarget } from '../../node/dial-target.ts'
import { createPeer } from '../../node/peer.ts'
import { parseCommandArgs, parseSeconds } from '../args.ts'
import { DEFAULT_DIAL_TIMEOUT } from '../defaults.ts'
import { DIAL_HELP } from '../help.ts'
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../io.ts'
import { checkMultiaddrs } from '../multiaddr-args.ts'
import { shortLivedPeerOptions } from '../short-lived.ts'
import type { CliIO } from '../io.ts'

export async function dialCommand (args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    timeout: { type: 'string' },
    bootstrap: { type: 'string', multiple: true },
    json: { type: 'boolean' }
  }, true)

  if (values.help === true) {
    io.out(DIAL_HELP)
    return EXIT_OK
  }

  if (positionals.length !== 1) {
    throw new UsageError(`dial takes exactly one multiaddr, got ${positionals.length}`)
  }

  let target
  try {
    target = parseDialTarget(positionals[0])
  } catch (err: any) {
    throw new UsageError(err.message)
  }

  const bootstrap = checkMultiaddrs('bootstrap', values.bootstrap as string[] | undefined)
  const byId = isPeerId(target)

  if (byId && bootstrap == null) {
    throw new UsageError('dialing a peer id needs --bootstrap MA: a docpeer server to ask for its addresses')
  }

  const timeout = parseSeconds('timeout', values.timeout as string | undefined, DEFAULT_DIAL_TIMEOUT)
  const signal = AbortSignal.any([AbortSignal.timeout(timeout), io.signal])
  // the DHT (imported only then) when the address has to be found
  const peer = await createPeer({ ...shortLivedPeerOptions(timeout), dht: byId, bootstrap })

  try {
    const connection = await peer.dial(target, { signal })
    const rtt = await peer.libp2p.services.ping.ping(connection.remotePeer, { signal })

    if (values.json === true) {
      io.out(JSON.stringify({ peerId: connection.remotePeer.toString(), remoteAddr: connection.remoteAddr.toString(), rtt }))
    } else {
      io.out(`peer ${connection.remotePeer.toString()}`)
      io.out(`address ${connection.remoteAddr.toString()}`)
      io.out(`ping ${rtt} ms`)
    }

    return EXIT_OK
  } catch (err: any) {
    const reason = signal.aborted && io.signal.aborted === false
      ? `timed out after ${timeout / 1000} s`
      : describeDialError(err)
    io.err(`docpeer dial: cannot reach ${target.toString()}: ${reason}`)
    return EXIT_FAILURE
  } finally {
    await peer.stop()
  }
}

/**
 * libp2p wraps each address's failure in an AggregateError; the first cause says the most.
 */
function describeDialError (err: any): string {
  const causes: any[] = err?.errors ?? []
  const first = causes.find(cause => cause?.message != null)
  const detail = first != null && first.message !== err.message ? `: ${first.message}` : ''
  return `${err?.name ?? 'Error'}: ${err?.message ?? String(err)}${detail}`
}
