// Chain call cost: sim's notifier chain against a plain array-of-functions loop, tapable's SyncBailHook and
// eventemitter3, for chains of 1, 4, 16 and 64 blocks that all answer NOTIFY_DONE.
import { createNotifierChain, NOTIFY_DONE, NOTIFY_STOP_MASK } from '@sim/core';
import EventEmitter from 'eventemitter3';
import { do_not_optimize, measure } from 'mitata';
import tapable from 'tapable';

const SIZES = [1, 4, 16, 64];
const ACTION = 4;
const data = { name: '0000:01:00.0' };

function makeFns(n) {
  const fns = [];
  for (let i = 0; i < n; i++) fns.push((_action, _data) => NOTIFY_DONE);
  return fns;
}

export function cases(n) {
  const fns = makeFns(n);
  const plain = () => {
    let ret = NOTIFY_DONE;
    for (let i = 0; i < fns.length; i++) {
      ret = fns[i](ACTION, data);
      if (ret & NOTIFY_STOP_MASK) break;
    }
    return ret;
  };

  const chain = createNotifierChain('blocking', 'bench');
  for (let i = 0; i < n; i++) chain.register({ name: `nb${i}`, notifierCall: makeFns(1)[0] });

  const observed = createNotifierChain('blocking', 'bench-observed');
  for (let i = 0; i < n; i++) observed.register({ name: `nb${i}`, notifierCall: makeFns(1)[0] });
  const ring = new Int32Array(1024);
  let at = 0;
  observed.observe({
    block(_nb, action, _data, ret) {
      ring[at] = action;
      ring[at + 1] = ret;
      at = (at + 2) & 1023;
    },
  });

  const hook = new tapable.SyncBailHook(['action', 'data']);
  for (let i = 0; i < n; i++) hook.tap(`nb${i}`, () => undefined);

  const emitter = new EventEmitter();
  for (let i = 0; i < n; i++) emitter.on('notify', makeFns(1)[0]);

  return {
    'plain loop': plain,
    'sim chain': () => chain.callChain(ACTION, data),
    'sim chain + ring observer': () => observed.callChain(ACTION, data),
    'tapable SyncBailHook': () => hook.call(ACTION, data),
    eventemitter3: () => emitter.emit('notify', ACTION, data),
  };
}

/** Runs every case `rounds` times, interleaved, and keeps each case's best average (ns per call). */
export async function measureBest(table, rounds = 5) {
  const best = new Map();
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(table)) {
      const stats = await measure(() => do_not_optimize(fn()));
      best.set(name, Math.min(best.get(name) ?? Number.POSITIVE_INFINITY, stats.avg));
    }
  }
  return best;
}

export async function main() {
  const rows = [
    '| blocks | plain loop | sim chain | sim + ring observer | tapable SyncBailHook | eventemitter3 | sim / plain | observed / plain |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const n of SIZES) {
    const best = await measureBest(cases(n));
    const g = (name) => best.get(name);
    const ns = (v) => `${v.toFixed(1)} ns`;
    const plain = g('plain loop');
    rows.push(
      `| ${n} | ${ns(plain)} | ${ns(g('sim chain'))} | ${ns(g('sim chain + ring observer'))} | ${ns(g('tapable SyncBailHook'))} | ${ns(g('eventemitter3'))} | ${(g('sim chain') / plain).toFixed(2)}x | ${(g('sim chain + ring observer') / plain).toFixed(2)}x |`,
    );
  }
  console.log(`notifier chain call, best of 5 interleaved mitata runs, average time per call (${process.version}):\n`);
  console.log(rows.join('\n'));
}
