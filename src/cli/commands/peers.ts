/**
 * `docpeer peers`, `docpeer connect`, `docpeer disconnect`: the connections of the daemon running
 * on a data directory, asked and steered over its control socket.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { connect, disconnect, peers } from '../../control/client.ts'
import { parseMultiaddr } from '../../node/multiaddr.ts'
import { parseSeconds } from '../args.ts'
import { formatAge, runControlCommand } from '../control-command.ts'
import { CONNECT_HELP, DISCONNECT_HELP, PEERS_HELP } from '../help.ts'
import { UsageError } from '../io.ts'
import type { CliIO } from '../io.ts'

function onePositional (positionals: string[], what: string, command: string): string {
  if (positionals.length !== 1) {
    throw new UsageError(`${command} takes one ${what}, got ${positionals.length}`)
  }

  return positionals[0]
}

function checkPeerId (text: string): string {
  try {
    return peerIdFromString(text).toString()
  } catch (err: any) {
    throw new UsageError(`"${text}" is not a peer id: ${err.message}`)
  }
}

export async function peersCommand (args: string[], io: CliIO): Promise<number> {
  return runControlCommand(args, io, {
    name: 'peers',
    help: PEERS_HELP,
    options: { verbose: { type: 'boolean', short: 'v' } },
    run: async (dataDir, { values }, io) => {
      const verbose = values.verbose === true
      const connections = await peers(dataDir, verbose, { signal: io.signal })
      const text = connections.map(c => {
        const address = c.remoteAddr.endsWith(`/p2p/${c.peerId}`) ? c.remoteAddr : `${c.remoteAddr}/p2p/${c.peerId}`

        if (!verbose) {
          return address
        }

        const rtt = c.rttMs == null ? 'rtt ?' : `rtt ${c.rttMs} ms`
        return `${address}\n  ${c.transport}, ${c.direct ? 'direct' : 'relayed'}${c.limited ? ' (limited)' : ''}, ${c.direction}, ${rtt}, age ${formatAge(c.ageMs)}, ${c.streams} streams${c.syncing ? ', syncing documents' : ''}${c.encryption == null ? '' : `, ${c.encryption}`}${c.multiplexer == null ? '' : `, ${c.multiplexer}`}${(c.streamProtocols ?? []).map(p => `\n    ${p}`).join('')}`
      })

      return { json: connections, text }
    }
  })
}

export async function connectCommand (args: string[], io: CliIO): Promise<number> {
  return runControlCommand(args, io, {
    name: 'connect',
    help: CONNECT_HELP,
    options: { timeout: { type: 'string' } },
    positionals: true,
    run: async (dataDir, { values, positionals }, io) => {
      const target = onePositional(positionals, 'multiaddr or peer id', 'connect').trim()
      const timeoutMs = parseSeconds('timeout', values.timeout as string | undefined, 10_000)

      // checked here, so a typo is a usage error (exit 2) before the daemon is asked
      if (target.startsWith('/')) {
        parseMultiaddr(target)
      } else {
        checkPeerId(target)
      }

      // the daemon gives up after timeoutMs; the request waits a little longer for its answer
      const result = await connect(dataDir, { target, timeoutMs }, { signal: io.signal, timeoutMs: timeoutMs + 2_000 })
      return {
        json: result,
        text: [`connected ${result.peerId} ${result.remoteAddr} (${result.transport}, ${result.direct ? 'direct' : 'relayed'})`]
      }
    }
  })
}

export async function disconnectCommand (args: string[], io: CliIO): Promise<number> {
  return runControlCommand(args, io, {
    name: 'disconnect',
    help: DISCONNECT_HELP,
    positionals: true,
    run: async (dataDir, { positionals }, io) => {
      const peerId = checkPeerId(onePositional(positionals, 'peer id', 'disconnect').trim())
      const result = await disconnect(dataDir, peerId, { signal: io.signal })
      return { json: result, text: [`disconnected ${result.peerId} (${result.closed} connection${result.closed === 1 ? '' : 's'})`] }
    }
  })
}
