/**
 * aegir configuration. aegir only reads `.aegir.js`, which re-exports this file.
 *
 * `build.bundle: false`: esbuild chokes on automerge's `.wasm` import when aegir bundles; browser
 * tests and the demo bundle it themselves.
 *
 * dep-check: `typescript` comes with aegir, `node` is the pinned runtime (devDependency).
 */
export default {
  build: {
    bundle: false
  },
  dependencyCheck: {
    ignore: [
      'typescript',
      'node',
      // examples/browser imports the package by its own name, as an app would (esbuild aliases it)
      'docpeer',
      // src/config/ice-udp-mux-guard.ts requires it from @libp2p/webrtc's folder on purpose: it guards
      // the copy @libp2p/webrtc loads, which a dependency of docpeer's own could make a second one
      'node-datachannel'
    ],
    productionIgnorePatterns: [
      'aegir.config.js',
      '.aegir.js',
      'eslint.config.js',
      'test',
      'test-vitest',
      'harness',
      'scripts',
      'examples',
      'benchmarks'
    ]
  }
}
