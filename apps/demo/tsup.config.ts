import { defineConfig } from 'tsup';

/**
 * The app is one file (dist/sim.js) with yaml inlined. The @sim/* packages stay imports of the installed packages
 * (its dependencies), not inlined: a `--plugin` module that imports @sim/core or @sim/iommu-group must get the very
 * copy the app runs, and the app resolves those imports to its own (src/plugins/modules.ts). See
 * docs/decisions/2026-12-02-one-copy-for-plugins.md.
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
  external: [/^@sim\//],
  noExternal: [/^(?!@sim\/)/],
  // yaml is CommonJS: its require() calls go through a real require in the ESM bundle.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __simCreateRequire } from 'node:module';\nconst require = __simCreateRequire(import.meta.url);",
  },
});
