import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  // Node (and so every dependency) loads graphql's CommonJS build; vite would pick its .mjs build for our own
  // files, and two graphql copies refuse each other's types. Point vite at the one Node uses.
  resolve: { alias: { graphql: require.resolve('graphql') } },
  test: {
    include: ['test/**/*.test.ts'],
    // One real PostgreSQL for the whole run; each test file makes its own tenants.
    globalSetup: ['test/support/globalSetup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // A skipped test fails CI: nothing required may be silently left out.
    allowOnly: false,
    reporters: ['default', './test/support/noSkipsInCI.ts'],
  },
});
