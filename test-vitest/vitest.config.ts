import { defineConfig } from 'vitest/config'

/**
 * automerge-repo's published network adapter suite imports vitest, so it runs here instead of
 * under aegir/mocha. `npm run test:adapter-suite`.
 */
export default defineConfig({
  // the root tsconfig extends aegir's, which vite cannot resolve
  tsconfig: 'test-vitest/tsconfig.json',
  test: {
    include: ['test-vitest/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // each file builds its own libp2p nodes; files in parallel only compete for the 2 cores
    fileParallelism: false
  }
})
