/**
 * Which build of the CLI bin/docpeer.js imports. Like node-version.ts it runs before the CLI is
 * loaded, so it imports nothing but `node:fs`.
 *
 * `npm run build` compiles src/ with tsc into dist/src/ and then bundles the CLI into
 * dist/src/cli-bundle/ (scripts/build-cli-bundle.ts): one bundle starts a daemon in about half the
 * time of its ~750 modules. A build by tsc alone (`aegir build`, `tsc`) can leave an older bundle
 * behind; that one must not run instead of the new code, so the bundle is used only when none of
 * the compiled files it was made from changed after it. (tsc's build info file is no guide: a type
 * check with `--noEmit` rewrites it without changing any output.)
 */
import { readFileSync, statSync } from 'node:fs'

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
   * dist/src/cli-bundle/inputs.json: the files of dist/ the bundle was made from, relative to the
   * package root, written by the bundler
   */
  inputs: URL
  packageRoot: URL
}

export function cliEntries (packageRoot: URL): CliEntries {
  return {
    modules: new URL('dist/src/cli/index.js', packageRoot),
    bundle: new URL('dist/src/cli-bundle/index.js', packageRoot),
    inputs: new URL('dist/src/cli-bundle/inputs.json', packageRoot),
    packageRoot
  }
}

/**
 * The bundle when there is one and no file it was made from is newer, otherwise the modules.
 */
export function cliEntry (entries: CliEntries): URL {
  const bundled = modifiedMs(entries.bundle)

  if (bundled == null) {
    return entries.modules
  }

  let inputs: string[]

  try {
    inputs = JSON.parse(readFileSync(entries.inputs, 'utf8'))
  } catch {
    // a bundle without its list of inputs cannot be checked
    return entries.modules
  }

  const stale = inputs.some(input => (modifiedMs(new URL(input, entries.packageRoot)) ?? 0) > bundled)

  return stale ? entries.modules : entries.bundle
}

function modifiedMs (file: URL): number | undefined {
  return statSync(file, { throwIfNoEntry: false })?.mtimeMs
}
