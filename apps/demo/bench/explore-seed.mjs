// Schedules per second of `sim explore` on the seed's story with two tasks (the built-in scenario
// race-set-container: qemu's open/open/SET_CONTAINER/SET_IOMMU against an admin's bind, under v4.12): every schedule
// with no preemption bound and no sleep sets, so each execution boots the machine, runs the steps and the two
// tasks. In this thread (workers 0) and on 1 and 2 worker threads; best of 3; the reports must be identical.
// Run after `pnpm build`: node bench/explore-seed.mjs
import { availableParallelism, loadavg } from 'node:os';
import { exploreSystematicOnWorkers } from '../dist/explore.js';

const system = new URL('../dist/explore-scenario.js', import.meta.url).href;
const args = { arg: 'race-set-container', cwd: process.cwd(), plugins: [], profile: 'v4.12' };
const REPEATS = 3;

async function measure(workers) {
  let best = Number.POSITIVE_INFINITY;
  let report;
  for (let i = 0; i < REPEATS; i++) {
    const t0 = process.hrtime.bigint();
    report = await exploreSystematicOnWorkers(
      { module: system, args },
      { workers, sleepSets: false, preemptionBound: Number.POSITIVE_INFINITY, limit: 100_000 },
    );
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const runs = report.executions + report.sleepSetCuts + report.depthCuts;
  return { runs, seconds: best, perSecond: runs / best, classes: report.classes.length, text: JSON.stringify(report) };
}

console.log(
  `Node ${process.version}, ${availableParallelism()} cores, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} at the start; best of ${REPEATS}\n`,
);
console.log('| workers | schedules | outcome classes | time | schedules/s | speed-up over 1 worker |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
const rows = [];
for (const workers of [0, 1, 2]) rows.push({ workers, ...(await measure(workers)) });
if (new Set(rows.map((r) => r.text)).size !== 1) throw new Error('reports differ between worker counts');
const one = rows.find((r) => r.workers === 1);
for (const r of rows)
  console.log(
    `| ${r.workers === 0 ? '0 (this thread)' : r.workers} | ${r.runs} | ${r.classes} | ${r.seconds.toFixed(2)} s | ${Math.round(r.perSecond)} | ${r.workers === 0 ? '' : `${(one.seconds / r.seconds).toFixed(2)}x`} |`,
  );
