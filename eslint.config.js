/**
 * eslint: aegir's configuration (neostandard, import, jsdoc) plus the layout's boundaries.
 *
 * `aegir lint` always lints with aegir's own config file (it passes `overrideConfigFile`), so it
 * cannot see this one: `npm run lint` runs eslint with this file instead, over the same files and
 * also `harness/` and `scripts/`, which aegir's default file list leaves out.
 *
 * The boundaries (src/README.md; each folder's README says what it may import):
 * - Each layer of `src/` imports only the layers below it (src/README.md).
 * - `src/sync/` knows automerge-repo and `@libp2p/interface`: never `src/config/`, `src/node/` or
 * helia.
 * - Only `src/cli/` touches `process` and `console`. `src/node/runtime.ts` reads the Node version
 * through `globalThis.process` (a browser has none), and is the one file allowed to.
 * - Nothing in `src/` imports `test/`, `harness/` or `scripts/`.
 * - `test/` and `scripts/` share code only through `harness/`; `test/` may import `scripts/demo/`,
 * the demo it tests. `harness/` imports `src/` only.
 */
import aegir from 'aegir/eslint.config.js'

const SYNC = 'src/sync/ speaks automerge-repo and @libp2p/interface only (src/sync/README.md)'
const CLI_ONLY = 'only src/cli/ touches the process (src/cli/process-io.ts); pass what you need in from the CLI'

const processImports = [
  { name: 'process', message: CLI_ONLY },
  { name: 'node:process', message: CLI_ONLY },
  { name: 'console', message: CLI_ONLY },
  { name: 'node:console', message: CLI_ONLY }
]

const heliaImports = [
  { group: ['helia', '@helia/*', 'blockstore-*', 'interface-blockstore'], message: SYNC }
]

/**
 * Folders relative to the package root that a folder must not import from.
 */
const LAYERS = 'src/ imports down its layers only: cli -> control, metrics -> node -> config, storage, sync, helia -> access, tuning, constants (src/README.md)'

const zones = [
  { target: './src/sync', from: ['./src/config', './src/node', './src/helia'], message: SYNC },
  { target: './src/sync', from: ['./src/storage', './src/bridge', './src/cli', './src/tuning'], message: LAYERS },
  { target: './src/config', from: ['./src/node', './src/sync', './src/storage', './src/helia', './src/bridge', './src/cli'], message: LAYERS },
  { target: './src/tuning', from: ['./src/node', './src/config', './src/sync', './src/storage', './src/helia', './src/bridge', './src/cli'], message: LAYERS },
  { target: './src/storage', from: ['./src/node', './src/config', './src/sync', './src/helia', './src/bridge', './src/cli', './src/tuning'], message: LAYERS },
  { target: './src/helia', from: ['./src/node', './src/sync', './src/bridge', './src/cli', './src/tuning'], message: LAYERS },
  { target: './src/bridge', from: ['./src/node', './src/config', './src/storage', './src/helia', './src/cli', './src/tuning'], message: LAYERS },
  // the bridge checks its clients' frames with the sync protocol's message guards and size bound,
  // and imports nothing else of sync/
  { target: './src/bridge', from: './src/sync', except: ['./wire', './constants.ts'], message: LAYERS },
  { target: './src/node', from: ['./src/cli', './src/bridge', './src/control', './src/metrics'], message: LAYERS },
  { target: './src/control', from: ['./src/cli', './src/metrics'], message: LAYERS },
  { target: './src/metrics', from: ['./src/cli'], message: LAYERS },
  { target: './src/access', from: ['./src/node', './src/config', './src/sync', './src/storage', './src/helia', './src/bridge', './src/cli', './src/tuning', './src/control', './src/metrics'], message: LAYERS },
  { target: './src/sync', from: ['./src/access', './src/control', './src/metrics'], message: LAYERS },
  { target: './src/config', from: ['./src/control', './src/metrics', './src/access'], message: LAYERS },
  { target: './src', from: ['./test', './harness', './scripts'], message: 'the product never imports tests, their helpers or dev scripts' },
  { target: './test', from: './scripts', except: ['./demo'], message: 'tests share code with scripts through harness/ (scripts/demo/ is the demo under test)' },
  { target: './scripts', from: './test', message: 'scripts share code with tests through harness/' },
  { target: './harness', from: ['./test', './scripts'], message: 'harness/ is what test/ and scripts/ share: it imports src/ only' }
]

export default [
  {
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.docpeer*/**', 'test-artifacts/**', 'examples/**/dist/**']
  },
  ...aegir,
  {
    name: 'docpeer/boundaries',
    files: ['**/*.ts', '**/*.js'],
    rules: {
      'import/no-restricted-paths': ['error', { zones }]
    }
  },
  {
    name: 'docpeer/process-only-in-cli',
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      'no-restricted-globals': ['error',
        { name: 'process', message: CLI_ONLY },
        { name: 'console', message: CLI_ONLY }
      ],
      'no-restricted-properties': ['error',
        { object: 'globalThis', property: 'process', message: CLI_ONLY },
        { object: 'globalThis', property: 'console', message: CLI_ONLY }
      ],
      'no-restricted-imports': ['error', { paths: processImports }]
    }
  },
  {
    name: 'docpeer/sync-knows-no-helia',
    files: ['src/sync/**/*.ts'],
    rules: {
      // one rule object per file: this repeats the process imports, which a later block would replace
      'no-restricted-imports': ['error', { paths: processImports, patterns: heliaImports }]
    }
  },
  {
    name: 'docpeer/runtime-check',
    // the Node version check reads globalThis.process: browsers have none, and bundlers must not polyfill it
    files: ['src/node/runtime.ts'],
    rules: {
      'no-restricted-properties': 'off'
    }
  }
]
