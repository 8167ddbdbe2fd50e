/**
 * Reads the certificate and key of a server's WSS listener. Each may be given as PEM text or as the
 * path of a PEM file; both are checked together, so a wrong file or a key that does not match the
 * certificate fails at start with the path in the message instead of at the first TLS handshake.
 */
import { readFileSync } from 'node:fs'
import { createSecureContext } from 'node:tls'
import { TlsConfigError } from './errors.ts'
import type { TlsPem } from './types.ts'

function isPem (value: string): boolean {
  return value.includes('-----BEGIN ')
}

function readPem (value: string, what: 'certificate' | 'key'): string {
  if (isPem(value)) {
    return value
  }

  let text: string

  try {
    text = readFileSync(value, 'utf8')
  } catch (err: any) {
    throw new TlsConfigError(`Cannot read the TLS ${what} file ${value}: ${err.message}`)
  }

  if (!isPem(text)) {
    throw new TlsConfigError(`The TLS ${what} file ${value} is not PEM (no "-----BEGIN" line)`)
  }

  return text
}

export function resolveTls (tls: TlsPem): TlsPem {
  const cert = readPem(tls.cert, 'certificate')
  const key = readPem(tls.key, 'key')

  try {
    createSecureContext({ cert, key })
  } catch (err: any) {
    throw new TlsConfigError(`The TLS certificate and key cannot be used together: ${err.message}`)
  }

  return { cert, key }
}
