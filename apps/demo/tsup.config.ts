import { build, defineConfig } from 'tsup';

/**
 * The app is one file (dist/sim.js) with yaml inlined. The @sim/* packages stay imports of the installed packages
 * (its dependencies), not inlined: a `--plugin` module that imports @sim/core or @sim/iommu-group must get the very
 * copy the app runs, and the app resolves those imports to its own (src/plugins/modules.ts). See
 * docs/decisions/2026-12-02-one-copy-for-plugins.md. Then the html page's script (src/html/page.ts: the page's
 * drawing and its what-if, with @sim/core, the plugins and the scenario loader the command runs) is bundled for the
 * browser into dist/sim-page.global.js, which `--format html` inlines into every page (src/page-bundle.ts); the
 * page has no packages to share, so there everything is inlined. Last the explorer's worker thread entry,
 * dist/explore-worker.js, and the engine as dist/explore.js (internal: no `exports` names it).
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
  async onSuccess() {
    await build({
      config: false,
      entry: { 'sim-page': 'src/html/page.ts' },
      format: ['iife'],
      platform: 'browser',
      target: 'es2022',
      outDir: 'dist',
      clean: false,
      dts: false,
      sourcemap: false,
      minify: true,
      treeshake: true,
      noExternal: [/.*/],
      silent: true,
    });
    // The explorer's worker thread entry, a file of its own beside sim.js (src/explore/explore.ts starts it from
    // there), and the engine itself for bench/explore.mjs; @sim/* stay imports as in sim.js, no shared chunks.
    await build({
      config: false,
      entry: {
        'explore-worker': 'src/explore/worker.ts',
        explore: 'src/explore/index.ts',
        'explore-scenario': 'src/explore/scenario-system.ts',
      },
      splitting: false,
      format: ['esm'],
      platform: 'node',
      target: 'node20',
      outDir: 'dist',
      clean: false,
      dts: false,
      sourcemap: true,
      treeshake: true,
      external: [/^@sim\//],
      banner: {
        js: "import { createRequire as __simCreateRequire } from 'node:module';\nconst require = __simCreateRequire(import.meta.url);",
      },
      silent: true,
    });
  },
});
