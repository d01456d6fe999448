// Schedules per second of the explorer (src/explore/, bundled as dist/explore.js and dist/explore-worker.js) on a
// toy system: three tasks of four steps on one shared variable, every order explored (no sleep sets, no bound:
// 12!/(4!^3) = 34,650 schedules). Measured in this thread (workers 0) and on 1 and 2 worker threads, with steps
// that cost nothing and with steps that spin 1,000 iterations each (a stand-in for a kernel operation). Each
// case runs 3 times; the table keeps the best. The reports must be identical whatever the worker count.
// Run after `pnpm build`: node bench/explore.mjs
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { exploreSystematicOnWorkers } from '../dist/explore.js';

const toy = fileURLToPath(new URL('../src/explore/toys/program.mjs', import.meta.url));
const rmw = [{ op: 'read', v: 'x' }, { op: 'local' }, { op: 'writeInc', v: 'x' }, { op: 'local' }];
const REPEATS = 3;

async function measure(work, workers) {
  let best = Number.POSITIVE_INFINITY;
  let report;
  for (let i = 0; i < REPEATS; i++) {
    const t0 = process.hrtime.bigint();
    report = await exploreSystematicOnWorkers(
      { module: toy, args: { tasks: { A: rmw, B: rmw, C: rmw }, work } },
      { workers, sleepSets: false, preemptionBound: Number.POSITIVE_INFINITY, limit: 100_000 },
    );
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const runs = report.executions + report.sleepSetCuts + report.depthCuts;
  return { runs, seconds: best, perSecond: runs / best, text: JSON.stringify(report) };
}

console.log(
  `Node ${process.version}, ${availableParallelism()} cores, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} at the start; best of ${REPEATS}\n`,
);
console.log('| step cost | workers | schedules | time | schedules/s | speed-up over 1 worker |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const work of [0, 1000]) {
  const rows = [];
  for (const workers of [0, 1, 2]) rows.push({ workers, ...(await measure(work, workers)) });
  if (new Set(rows.map((r) => r.text)).size !== 1) throw new Error('reports differ between worker counts');
  const one = rows.find((r) => r.workers === 1);
  for (const r of rows)
    console.log(
      `| ${work === 0 ? 'none' : `${work} iterations`} | ${r.workers === 0 ? '0 (this thread)' : r.workers} | ${r.runs} | ${r.seconds.toFixed(2)} s | ${Math.round(r.perSecond)} | ${r.workers === 0 ? '' : `${(one.seconds / r.seconds).toFixed(2)}x`} |`,
    );
}
