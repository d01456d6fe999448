import { defineConfig } from 'tsup';

/** The one build config every package re-uses: ESM + .d.ts from src/index.ts. */
export const config = defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  treeshake: true,
});
