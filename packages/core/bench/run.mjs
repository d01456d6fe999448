// `pnpm bench` for @sim/core: every benchmark of this package, one after the other (or one: `node bench/run.mjs scale`).
import { main as notifier } from './notifier.bench.mjs';
import { main as scale } from './scale.bench.mjs';

const only = process.argv[2];
if (!only || only === 'notifier') await notifier();
if (!only || only === 'scale') await scale();
