/**
 * Multiaddr options of the command line (`daemon --listen`...), checked before a node is made.
 */
import { parseMultiaddr } from '../node/multiaddr.ts'
import { UsageError } from './io.ts'

/**
 * Checks multiaddrs typed on the command line, naming the option they came from.
 */
export function checkMultiaddrs (option: string, values: string[] | undefined): string[] | undefined {
  if (values == null) {
    return undefined
  }

  for (const value of values) {
    try {
      parseMultiaddr(value)
    } catch (err: any) {
      throw new UsageError(`--${option}: ${err.message}`)
    }
  }

  return values
}
