import { readFileSync } from 'node:fs'

/**
 * docpeer's version from its package.json, found from this file in src/ or in dist/src/.
 */
export function docpeerVersion (): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8'))

      if (pkg.name === 'docpeer') {
        return pkg.version
      }
    } catch {
      // not this one: try the next candidate
    }
  }

  return 'unknown'
}
