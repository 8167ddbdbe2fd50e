/* eslint-disable no-console -- a build step that reports on its terminal */
/**
 * Bundles the `docpeer` command (dist/src/cli/index.js, after tsc) with esbuild into
 * dist/src/cli-bundle/, which bin/docpeer.js loads instead of the ~750 modules the CLI imports.
 * Node spends most of a daemon's start resolving, reading and linking modules one by one (package.json
 * scope lookups, stat and realpath per file); the same code in a few files starts in about half the
 * time (BENCHMARKS.md, w7). `npm run build` runs this after `aegir build`.
 *
 * Code splitting keeps what only some commands or options load (helia, the server role's WebRTC,
 * the `doc` command) in chunks of their own, imported when asked for, as in dist/src.
 *
 * The bundle sits at the same depth below the package root as dist/src/cli/, so the version lookup
 * (src/cli/version.ts, relative to its own file) finds package.json from either.
 */
import { rm, writeFile } from 'node:fs/promises'
import { relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as esbuild from 'esbuild'
import type { Plugin } from 'esbuild'

const root = fileURLToPath(new URL('../', import.meta.url))
const CLI_BUNDLE_DIR = 'dist/src/cli-bundle'

/**
 * Packages that find files beside their own code at run time, so they stay in node_modules:
 * automerge reads its `.wasm` from its directory, the others load native addons from theirs.
 */
const EXTERNAL = [
  '@automerge/automerge',
  'classic-level',
  'cbor-extract',
  'node-datachannel',
  'bufferutil',
  'utf-8-validate'
]

/**
 * Node builds the ES module facade of `node:http` by reading every export, and its `WebSocket`,
 * `CloseEvent` and `MessageEvent` getters load undici: ~40 ms at every start for an `import` of
 * node:http (@libp2p/websockets has one) that never uses them (nodejs/node#57649, #59686). A
 * CommonJS `require` reads nothing, so imports of node:http are served by a require.
 */
function httpThroughRequire (): Plugin {
  return {
    name: 'http-through-require',
    setup (build) {
      build.onResolve({ filter: /^(node:)?http$/ }, args => args.kind === 'import-statement' || args.kind === 'dynamic-import'
        ? { path: 'node:http', namespace: 'http-through-require' }
        : undefined)
      build.onLoad({ filter: /.*/, namespace: 'http-through-require' }, () => ({
        contents: 'module.exports = require("node:http")',
        loader: 'js'
      }))
    }
  }
}

export async function buildCliBundle (): Promise<void> {
  const outdir = `${root}${CLI_BUNDLE_DIR}`
  await rm(outdir, { recursive: true, force: true })

  const result = await esbuild.build({
    entryPoints: { index: `${root}dist/src/cli/index.js` },
    outdir,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    external: EXTERNAL,
    plugins: [httpThroughRequire()],
    // CommonJS dependencies call require(); an ES module has none of its own
    banner: { js: 'import { createRequire as __docpeerCreateRequire } from \'node:module\'; const require = __docpeerCreateRequire(import.meta.url);' },
    // no source maps: they would add twice the bundle's size to the package; the bundle is not
    // minified and names each dependency's file, and after a tsc-only build (aegir build) the bin
    // runs dist/src/cli itself
    logLevel: 'warning',
    metafile: true
  })

  // bin/docpeer.js runs the bundle only while none of these is newer (src/cli/entry.ts)
  const inputs = Object.keys(result.metafile.inputs).map(input => relative(root, resolve(input))).filter(input => input.startsWith('dist/'))
  await writeFile(`${outdir}/inputs.json`, JSON.stringify(inputs))

  console.info(`docpeer CLI bundled into ${CLI_BUNDLE_DIR}/`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildCliBundle()
}
