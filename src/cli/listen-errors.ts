/**
 * libp2p's error when listeners fail, in the CLI's words. libp2p throws one
 * `UnsupportedListenAddressesError` whose message lists each failed address with its error's stack
 * and advises `transportManager.faultTolerance`, an option the CLI does not have. This turns it into
 * one line per address: an address in use is a failure (exit 1), an address no transport handles
 * is a mistake in the command line (exit 2).
 */
import { UsageError } from './io.ts'

interface FailedListen {
  addr: string
  reason: string
  unsupported: boolean
}

function systemReason (error: string): string {
  if (error.includes('EADDRINUSE')) {
    return 'the address is in use (another process listens on it; is a daemon already running?)'
  }

  if (error.includes('EADDRNOTAVAIL')) {
    return 'the address is not one of this machine\'s'
  }

  return error.replace(/^Error: /, '')
}

function failedListens (message: string): FailedListen[] {
  const failed: FailedListen[] = []

  for (const match of message.matchAll(/^ {2}(\/\S+): (.*)$/gm)) {
    const [, addr, error] = match
    const unsupported = error.startsWith('UnsupportedListenAddressError')
    failed.push({ addr, reason: unsupported ? 'no transport of this role listens on such an address' : systemReason(error), unsupported })
  }

  return failed
}

/**
 * Rethrows `err` in the CLI's words if it is libp2p's listen failure, unchanged otherwise.
 */
export function explainListenError (err: any): never {
  if (err?.name !== 'UnsupportedListenAddressesError') {
    throw err
  }

  const failed = failedListens(String(err.message))

  if (failed.length === 0) {
    throw err
  }

  const text = `cannot listen on ${failed.map(({ addr, reason }) => `${addr}: ${reason}`).join('; ')}`

  if (failed.every(({ unsupported }) => unsupported)) {
    throw new UsageError(`--listen: ${text}`)
  }

  throw new Error(text)
}
