import { defineConfig } from 'tsup';

/**
 * The app is one bundled file (dist/sim.js) with @sim/* and yaml inlined, so `sim` starts by reading one module
 * instead of resolving a package graph.
 */
export default defineConfig({
  entry: { sim: 'src/cli.ts' },
  format: ['esm'],
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  treeshake: true,
  noExternal: [/.*/],
  // yaml is CommonJS: its require() calls go through a real require in the ESM bundle.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __simCreateRequire } from 'node:module';\nconst require = __simCreateRequire(import.meta.url);",
  },
});
