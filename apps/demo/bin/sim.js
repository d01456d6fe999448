#!/usr/bin/env node
// The `sim` command: this file only starts the bundle (dist/sim.js, built by tsup), so that the bin exists, and pnpm
// links it, before the first build; run unbuilt, it says how to build.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/sim.js', import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write(
    'sim: the command is not built yet; build it with `npx -y pnpm@10.34.9 build` (or pnpm build) in the repository\n',
  );
  process.exit(1);
}
await import(bundle.href);
