import type { TraceEvent } from '@sim/core';
import type { RunResult } from '../run/run.ts';
import { notifyName } from './style.ts';

/** One Chrome trace-event (the JSON Object Format that ui.perfetto.dev and chrome://tracing open). */
export interface TraceEventJson {
  name: string;
  ph: 'B' | 'E' | 'i' | 'M';
  pid: number;
  tid: number;
  ts?: number;
  s?: 'g' | 'p' | 't';
  cat?: string;
  args?: Record<string, unknown>;
}

/**
 * A run as Chrome trace-event JSON: one track (thread) for the shell's steps, one per notifier chain, one for the
 * kernel log. Every event of the run's stream is in it, the boot's (the plugins' setups, the topology) first, in a
 * `boot` slice; each carries its stream number in `args.seq`. Each event is one microsecond after the one before
 * it, so nesting is visible; the kernel's own clock is in `args.kernelNs`.
 */
export function formatPerfetto(run: RunResult): { traceEvents: TraceEventJson[]; displayTimeUnit: 'ns' } {
  const pid = 1;
  const out: TraceEventJson[] = [
    { name: 'process_name', ph: 'M', pid, tid: 0, args: { name: `sim ${run.scenario.name} [${run.profile}]` } },
    { name: 'thread_name', ph: 'M', pid, tid: 1, args: { name: 'steps' } },
    { name: 'thread_sort_index', ph: 'M', pid, tid: 1, args: { sort_index: 0 } },
    { name: 'thread_name', ph: 'M', pid, tid: 2, args: { name: 'dmesg' } },
    { name: 'thread_sort_index', ph: 'M', pid, tid: 2, args: { sort_index: 1 } },
  ];
  // Chain tracks by chain name (a Map: a chain may be named anything, `__proto__` included).
  const tracks = new Map<string, number>();
  const track = (chain: string): number => {
    let tid = tracks.get(chain);
    if (tid === undefined) {
      tid = 10 + tracks.size;
      tracks.set(chain, tid);
      out.push({ name: 'thread_name', ph: 'M', pid, tid, args: { name: `${chain} chain` } });
      out.push({ name: 'thread_sort_index', ph: 'M', pid, tid, args: { sort_index: tid } });
    }
    return tid;
  };
  let ts = 0;
  const tick = () => ++ts;
  // Chain calls still open when the task died in an oops: closed at the end of their step.
  const open: { tid: number; name: string }[] = [];
  /** An instant event on a track. */
  const instant = (e: TraceEvent, tid: number, name: string, cat: string, args: Record<string, unknown> = {}) => {
    out.push({ pid, ts: tick(), tid, ph: 'i', s: 't', name, cat, args: { ...args, seq: e.seq } });
  };
  const put = (e: TraceEvent) => {
    switch (e.type) {
      case 'chain.call': {
        const tid = track(e.chain);
        open.push({ tid, name: e.actionName });
        out.push({
          pid,
          ts: tick(),
          tid,
          ph: 'B',
          name: `${e.actionName}${e.device === null ? '' : ` ${e.device}`}`,
          cat: 'chain',
          args: { caller: e.caller, kernelNs: e.ts, seq: e.seq },
        });
        return;
      }
      case 'chain.return':
        open.pop();
        out.push({
          pid,
          ts: tick(),
          tid: track(e.chain),
          ph: 'E',
          name: e.actionName,
          cat: 'chain',
          args: {
            ret: notifyName(e.ret),
            nrCalls: e.nrCalls,
            stoppedBy: e.stoppedBy,
            skipped: e.skipped,
            seq: e.seq,
          },
        });
        return;
      case 'chain.block':
        instant(e, track(e.chain), `${e.block} -> ${notifyName(e.ret)}`, 'block', { ret: e.ret });
        return;
      case 'chain.outcome':
        instant(e, track(e.chain), `${e.outcome}: ${e.caller}`, 'outcome', {
          ret: notifyName(e.ret),
          effect: e.effect,
        });
        return;
      case 'chain.register':
        instant(e, track(e.chain), `register ${e.block}`, 'register', { priority: e.priority, ret: e.ret });
        return;
      case 'chain.unregister':
        instant(e, track(e.chain), `unregister ${e.block}`, 'register', { ret: e.ret });
        return;
      case 'dmesg':
        instant(e, 2, e.text, 'dmesg', { level: e.level, kernelNs: e.ts });
        return;
      case 'probe':
        instant(e, 1, `probe ${e.driver} ${e.device} = ${e.ret}`, 'probe');
        return;
      case 'bind':
        instant(e, 1, `${e.what} ${e.device} ${e.driver}`, 'bind');
        return;
      case 'device':
        instant(e, 1, `device_${e.what} ${e.device} (${e.bus})`, 'device', { ret: e.ret });
        return;
      case 'driver':
        instant(e, 1, `driver_${e.what} ${e.bus}/${e.driver}`, 'driver', { ret: e.ret });
        return;
      case 'sysfs':
        instant(e, 1, `sysfs ${e.what} ${e.path}`, 'sysfs', { text: e.text, ret: e.ret });
        return;
      case 'op.begin':
        instant(e, 1, `${e.op} ${e.detail}`, 'op');
        return;
      case 'op.end':
        instant(e, 1, `${e.op} = ${e.ret === null ? 'oops' : e.ret}`, 'op', { ret: e.ret });
        return;
      case 'oops':
        out.push({
          pid,
          ts: tick(),
          tid: 1,
          ph: 'i',
          s: 'g',
          name: e.message,
          cat: 'oops',
          args: { where: e.where, callPath: e.callPath, seq: e.seq },
        });
        return;
      case 'splat':
        out.push({
          pid,
          ts: tick(),
          tid: 1,
          ph: 'i',
          s: 'p',
          name: e.splat.message,
          cat: 'splat',
          args: { detail: e.splat.detail, seq: e.seq },
        });
        return;
    }
  };
  /** A slice on the steps track around some events; chain calls an oops left open are closed inside it. */
  const slice = (name: string, cat: string, events: readonly TraceEvent[], begin: object, end: object) => {
    out.push({ pid, tid: 1, ts: tick(), ph: 'B', name, cat, args: { ...begin } });
    for (const e of events) put(e);
    for (let o = open.pop(); o !== undefined; o = open.pop()) {
      out.push({
        pid,
        tid: o.tid,
        ts: tick(),
        ph: 'E',
        name: o.name,
        cat: 'chain',
        args: { unwound: 'the task died' },
      });
    }
    out.push({ pid, tid: 1, ts: tick(), ph: 'E', name, cat, args: { ...end } });
  };
  slice('boot', 'boot', run.bootEvents, { plugins: run.plugins }, { events: run.bootEvents.length });
  for (const s of run.steps) {
    slice(s.step.text, 'step', s.events, { line: s.step.line }, { result: s.result, errno: s.errno, ran: s.ran });
  }
  return { traceEvents: out, displayTimeUnit: 'ns' };
}
