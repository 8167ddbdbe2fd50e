/**
 * Where the tests find the programs they run, shared by the browser tests
 * (test/browser/fixtures/harness.ts) and the check `npm test` runs first (scripts/test-env/), so both
 * look in the same place.
 */
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

/**
 * The environment variable that points the tests at a Chromium binary of your own.
 */
export const CHROMIUM_ENV = 'DOCPEER_CHROMIUM'

/**
 * An executable file called `name` on `PATH`, or undefined.
 */
export function findOnPath (name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && isExecutable(join(dir, name))) {
      return join(dir, name)
    }
  }

  return undefined
}

export function isExecutable (file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * The Chromium the browser tests launch: `$DOCPEER_CHROMIUM` when set, else `chromium` on `PATH`
 * (Debian's package installs /usr/bin/chromium), else undefined.
 */
export function chromiumPath (env: NodeJS.ProcessEnv = process.env): string | undefined {
  const chosen = env[CHROMIUM_ENV]

  if (chosen != null && chosen !== '') {
    return chosen
  }

  return findOnPath('chromium', env)
}
