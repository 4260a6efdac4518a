import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const src = fileURLToPath(new URL('./src/', import.meta.url));

/**
 * Multi-page build: four small HTML entries sharing a few modules, content-hashed into dist/assets
 * so waiting-room can serve them as immutable. No framework: the queue page must stay small for
 * shoppers on slow phones (it is the page 100k people keep open).
 */
export default defineConfig({
  root: src,
  base: '/',
  resolve: {
    alias: {
      // The queue maths is the server's own (shared contract), compiled into the page bundle.
      '@flashgate/queue-protocol': fileURLToPath(new URL('../shared/src/contracts/queue-protocol.ts', import.meta.url)),
    },
  },
  build: {
    outDir: fileURLToPath(new URL('./dist/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2020',
    assetsDir: 'assets',
    modulePreload: { polyfill: false },
    rolldownOptions: {
      // The page needs only the two pure functions of the queue contract, not its zod schemas:
      // declaring zod calls pure lets them (and zod itself, ~60 KB) fall out of the queue bundle.
      treeshake: { manualPureFunctions: ['z'], moduleSideEffects: (id: string) => !id.includes('/zod/') },
      input: {
        home: `${src}home.html`,
        queue: `${src}queue.html`,
        checkout: `${src}checkout.html`,
        admin: `${src}admin.html`,
      },
    },
  },
});
