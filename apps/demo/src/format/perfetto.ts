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
 * kernel log. Each event is one microsecond after the one before it, so nesting is visible; the kernel's own clock
 * is in `args.kernelNs`.
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
  const put = (e: TraceEvent) => {
    const base = { pid, ts: tick() };
    switch (e.type) {
      case 'chain.call':
        open.push({ tid: track(e.chain), name: e.actionName });
        out.push({
          ...base,
          tid: track(e.chain),
          ph: 'B',
          name: `${e.actionName}${e.device === null ? '' : ` ${e.device}`}`,
          cat: 'chain',
          args: { caller: e.caller, kernelNs: e.ts },
        });
        return;
      case 'chain.return':
        open.pop();
        out.push({
          ...base,
          tid: track(e.chain),
          ph: 'E',
          name: e.actionName,
          cat: 'chain',
          args: { ret: notifyName(e.ret), nrCalls: e.nrCalls, stoppedBy: e.stoppedBy, skipped: e.skipped },
        });
        return;
      case 'chain.block':
        out.push({
          ...base,
          tid: track(e.chain),
          ph: 'i',
          s: 't',
          name: `${e.block} -> ${notifyName(e.ret)}`,
          cat: 'block',
          args: { ret: e.ret },
        });
        return;
      case 'chain.outcome':
        out.push({
          ...base,
          tid: track(e.chain),
          ph: 'i',
          s: 't',
          name: `${e.outcome}: ${e.caller}`,
          cat: 'outcome',
          args: { ret: notifyName(e.ret), effect: e.effect },
        });
        return;
      case 'dmesg':
        out.push({
          ...base,
          tid: 2,
          ph: 'i',
          s: 't',
          name: e.text,
          cat: 'dmesg',
          args: { level: e.level, kernelNs: e.ts },
        });
        return;
      case 'probe':
      case 'bind':
        out.push({
          ...base,
          tid: 1,
          ph: 'i',
          s: 't',
          name: e.type === 'probe' ? `probe ${e.driver} ${e.device} = ${e.ret}` : `${e.what} ${e.device} ${e.driver}`,
          cat: e.type,
        });
        return;
      case 'oops':
        out.push({
          ...base,
          tid: 1,
          ph: 'i',
          s: 'g',
          name: e.message,
          cat: 'oops',
          args: { where: e.where, callPath: e.callPath },
        });
        return;
      case 'splat':
        out.push({
          ...base,
          tid: 1,
          ph: 'i',
          s: 'p',
          name: e.splat.message,
          cat: 'splat',
          args: { detail: e.splat.detail },
        });
        return;
      default:
        return;
    }
  };
  for (const s of run.steps) {
    out.push({ pid, tid: 1, ts: tick(), ph: 'B', name: s.step.text, cat: 'step', args: { line: s.step.line } });
    for (const e of s.events) put(e);
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
    out.push({
      pid,
      tid: 1,
      ts: tick(),
      ph: 'E',
      name: s.step.text,
      cat: 'step',
      args: { result: s.result, errno: s.errno, ran: s.ran },
    });
  }
  return { traceEvents: out, displayTimeUnit: 'ns' };
}
