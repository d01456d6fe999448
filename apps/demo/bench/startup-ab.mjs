// `sim run seed` start-up of two bundles, A/B: node bench/startup-ab.mjs <base dist/sim.js> <new dist/sim.js>.
// 3 warm-ups of each, then 20 alternating runs of each; prints the medians, the best runs and the ratio.
import { spawnSync } from 'node:child_process';

const [A, B] = process.argv.slice(2);
if (A === undefined || B === undefined) {
  console.error('usage: node bench/startup-ab.mjs <base dist/sim.js> <new dist/sim.js>');
  process.exit(2);
}
const time = (bin) => {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [bin, 'run', 'seed'], { encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 1) throw new Error(`${bin}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
};
for (let i = 0; i < 3; i++) {
  time(A);
  time(B);
}
const a = [];
const b = [];
for (let i = 0; i < 20; i++) {
  a.push(time(A));
  b.push(time(B));
}
const med = (x) => [...x].sort((p, q) => p - q)[x.length >> 1];
console.log(
  `base median ${med(a).toFixed(0)} ms (best ${Math.min(...a).toFixed(0)}), new median ${med(b).toFixed(0)} ms (best ${Math.min(...b).toFixed(0)}), new/base ${(med(b) / med(a)).toFixed(2)}`,
);
