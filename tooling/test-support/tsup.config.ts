import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/vitest.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // The test runner's own vitest (the repository's), never a bundled copy: hooks must reach the running suite.
  external: ['vitest'],
});
