// Wall time of `sim run seed` as a person runs it: a fresh Node process on the bundled dist/sim.js, output to a
// pipe. Also Node's own start (`node -e 0`) for reference. Each is run 20 times after 2 warm-ups; the table gives
// the median and the best. Target: `sim run seed` <= 0.3 s wall.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const app = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 20;

function time(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: app, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

function measure(label, args) {
  for (let i = 0; i < 2; i++) time(args);
  const samples = Array.from({ length: RUNS }, () => time(args)).sort((a, b) => a - b);
  const median = (samples[RUNS / 2 - 1] + samples[RUNS / 2]) / 2;
  return { label, median, best: samples[0], worst: samples.at(-1) };
}

const rows = [
  measure('node -e 0', ['-e', '0']),
  measure('sim run seed', ['dist/sim.js', 'run', 'seed']),
  measure('sim run seed --format json', ['dist/sim.js', 'run', 'seed', '--format', 'json']),
  measure('sim compare seed (3 profiles)', ['dist/sim.js', 'compare', 'seed']),
];
console.log(`Node ${process.version}, ${RUNS} runs each after 2 warm-ups\n`);
console.log('| command | median | best | worst |');
console.log('| --- | ---: | ---: | ---: |');
for (const r of rows)
  console.log(`| \`${r.label}\` | ${r.median.toFixed(0)} ms | ${r.best.toFixed(0)} ms | ${r.worst.toFixed(0)} ms |`);
const seed = rows[1];
console.log(
  `\nsim run seed: median ${(seed.median / 1000).toFixed(3)} s (target <= 0.3 s): ${seed.median <= 300 ? 'met' : 'NOT met'}`,
);
