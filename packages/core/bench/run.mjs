// `pnpm bench` for @sim/core: each benchmark in a fresh process (one JIT and heap per benchmark), one after the
// other; `node bench/run.mjs scale` runs one.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const benches = { notifier: './notifier.bench.mjs', scale: './scale.bench.mjs' };
const only = process.argv[2];
for (const [name, file] of Object.entries(benches)) {
  if (only !== undefined && only !== name) continue;
  const script = `import(${JSON.stringify(fileURLToPath(new URL(file, import.meta.url)))}).then((m) => m.main())`;
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
