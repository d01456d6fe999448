// 1e6 PCI devices added and bound (runScale of scale.bench.mjs) after a 1e4 warm-up: wall time of the adds, CPU time
// of the whole runScale (topology included, less sensitive to a loaded machine), heap per device. For A/B runs of two
// checkouts, alternate: (cd A/packages/core && node --expose-gc bench/scale-cpu.mjs); (cd B/...; same).
import { runScale } from './scale.bench.mjs';

runScale(1e4);
const c0 = process.cpuUsage();
const r = runScale(1e6);
const c = process.cpuUsage(c0);
console.log(
  `${r.seconds.toFixed(2)} s wall, ${((c.user + c.system) / 1e6).toFixed(2)} s CPU (whole runScale), ${Math.round(r.bytesPerDevice)} B per device`,
);
