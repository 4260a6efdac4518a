import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources of the workspace packages, not their dist builds.
    alias: [
      { find: /^@flashgate\/shared\/(.*)$/, replacement: `${root}shared/src/$1/index.ts` },
      { find: /^@flashgate\/infra\/(.*)$/, replacement: `${root}infra/src/$1/index.ts` },
    ],
  },
  test: {
    include: ['*/src/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    globalSetup: ['./vitest.global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
