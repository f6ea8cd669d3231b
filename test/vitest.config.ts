import {defaultExclude, defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...defaultExclude],
    // One real search engine for the whole run (OpenSearch on the JVM); see test/engine/.
    globalSetup: ['test/engine/global-setup.ts'],
    setupFiles: ['test/helpers/cleanup.ts'],
    // End-to-end tests start real servers and the built CLI; two cores, so keep parallelism modest.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 200_000,
  },
})
