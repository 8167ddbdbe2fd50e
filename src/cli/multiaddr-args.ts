/**
 * Multiaddr options of the command line (`daemon --listen`...), checked before a node is made.
 */
import { parseMultiaddr } from '../node/multiaddr.ts'
import { UsageError } from './io.ts'

/**
 * Checks multiaddrs typed on the command line, naming the option they came from.
 */
export function checkMultiaddrs (option: string, values: string[] | undefined, needPeerId = false): string[] | undefined {
  if (values == null) {
    return undefined
  }

  for (const value of values) {
    let ma

    try {
      ma = parseMultiaddr(value)
    } catch (err: any) {
      throw new UsageError(`--${option}: ${err.message}`)
    }

    if (needPeerId && ma.getComponents().every(component => component.name !== 'p2p')) {
      throw new UsageError(`--${option}: "${value}" has no /p2p/<peer id> part; a peer is dialed and kept by its id (docpeer dial ADDRESS prints it)`)
    }
  }

  return values
}
