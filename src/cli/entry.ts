/**
 * Which build of the CLI bin/docpeer.js imports. Like node-version.ts it runs before the CLI is
 * loaded, so it imports nothing but `node:fs`.
 *
 * `npm run build` compiles src/ with tsc into dist/src/ and then bundles the CLI into
 * dist/src/cli-bundle/ (scripts/build-cli-bundle.ts): one bundle starts a daemon in about half the
 * time of its ~750 modules. A build by tsc alone (`aegir build`, `tsc`) leaves an older bundle
 * behind; that one must not run instead of the new code, so the bundle is used only when it was
 * made after tsc's last build.
 */
import { statSync } from 'node:fs'

export interface CliEntries {
  /**
   * dist/src/cli/index.js: the CLI as tsc emits it, one module per source file
   */
  modules: URL
  /**
   * dist/src/cli-bundle/index.js
   */
  bundle: URL
  /**
   * dist/tsconfig.tsbuildinfo, written by every tsc build that emits; not in the published package
   */
  buildInfo: URL
}

export function cliEntries (packageRoot: URL): CliEntries {
  return {
    modules: new URL('dist/src/cli/index.js', packageRoot),
    bundle: new URL('dist/src/cli-bundle/index.js', packageRoot),
    buildInfo: new URL('dist/tsconfig.tsbuildinfo', packageRoot)
  }
}

/**
 * The bundle when there is one at least as new as tsc's last build, otherwise the modules.
 */
export function cliEntry (entries: CliEntries): URL {
  const bundled = modifiedMs(entries.bundle)

  if (bundled == null) {
    return entries.modules
  }

  const compiled = modifiedMs(entries.buildInfo)

  return compiled == null || bundled >= compiled ? entries.bundle : entries.modules
}

function modifiedMs (file: URL): number | undefined {
  return statSync(file, { throwIfNoEntry: false })?.mtimeMs
}
