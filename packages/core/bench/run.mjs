// `pnpm bench` for @sim/core: every benchmark of this package, one after the other.
import { main as notifier } from './notifier.bench.mjs';

const only = process.argv[2];
if (!only || only === 'notifier') await notifier();
