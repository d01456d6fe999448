import type { TraceEvent } from '@sim/core';
import { notifyName } from './style.ts';

/** What one notifier block answered during a chain call. */
export interface BlockAnswerJson {
  readonly block: string;
  /** The answer as an int, and by name (`NOTIFY_BAD`, `NOTIFY_STOP_MASK | -EINVAL` ...). */
  readonly answer: number;
  readonly answerName: string;
}

/**
 * One call of a notifier chain during a step: which chain was called with which event for which device, what each
 * block answered, what the chain returned, and what its caller did with the answer. Part of the json output
 * (`steps[].calls`), in call order; a call made from inside a block's callback has a greater `depth`.
 */
export interface ChainCallJson {
  readonly chain: string;
  /** The event by name in the running kernel's numbering (`BUS_NOTIFY_BIND_DRIVER`), and its number. */
  readonly event: string;
  readonly action: number;
  readonly device: string | null;
  /** The kernel function that called the chain (`driver_sysfs_add`), or null. */
  readonly caller: string | null;
  /** 0 for a call made by the operation itself, +1 for each chain call it is nested in. */
  readonly depth: number;
  readonly blocks: readonly BlockAnswerJson[];
  /** What the chain returned, or null when the task died inside the call (the oops). */
  readonly answer: number | null;
  readonly answerName: string | null;
  /** The block whose answer carried the stop bit, and the blocks that were not called because of it. */
  readonly stoppedBy: string | null;
  readonly skipped: readonly string[];
  /** What the caller did with the answer (`ignored`, `honoured`, `propagated`), in words; null when not reported. */
  readonly outcome: 'ignored' | 'honoured' | 'propagated' | null;
  readonly effect: string | null;
}

interface Building {
  chain: string;
  event: string;
  action: number;
  device: string | null;
  caller: string | null;
  depth: number;
  blocks: BlockAnswerJson[];
  answer: number | null;
  answerName: string | null;
  stoppedBy: string | null;
  skipped: string[];
  outcome: ChainCallJson['outcome'];
  effect: string | null;
}

/** The chain calls of a step's trace events, in call order (see ChainCallJson). */
export function chainCalls(events: readonly TraceEvent[]): ChainCallJson[] {
  const out: Building[] = [];
  const open: Building[] = [];
  for (const e of events) {
    if (e.type === 'chain.call') {
      const c: Building = {
        chain: e.chain,
        event: e.actionName,
        action: e.action,
        device: e.device,
        caller: e.caller,
        depth: open.length,
        blocks: [],
        answer: null,
        answerName: null,
        stoppedBy: null,
        skipped: [],
        outcome: null,
        effect: null,
      };
      out.push(c);
      open.push(c);
    } else if (e.type === 'chain.block') {
      const c = findLast(open, (x) => x.chain === e.chain && x.action === e.action);
      c?.blocks.push({ block: e.block, answer: e.ret, answerName: notifyName(e.ret) });
    } else if (e.type === 'chain.return') {
      const i = findLastIndex(open, (x) => x.chain === e.chain && x.action === e.action);
      if (i === -1) continue;
      const c = open[i]!;
      open.splice(i);
      c.answer = e.ret;
      c.answerName = notifyName(e.ret);
      c.stoppedBy = e.stoppedBy;
      c.skipped = [...e.skipped];
    } else if (e.type === 'chain.outcome') {
      const c = findLast(
        out,
        (x) => x.chain === e.chain && x.action === e.action && x.answer !== null && x.outcome === null,
      );
      if (c !== undefined) {
        c.outcome = e.outcome;
        c.effect = e.effect;
      }
    }
  }
  return out;
}

function findLastIndex<T>(list: readonly T[], pred: (x: T) => boolean): number {
  for (let i = list.length - 1; i >= 0; i--) if (pred(list[i]!)) return i;
  return -1;
}

function findLast<T>(list: readonly T[], pred: (x: T) => boolean): T | undefined {
  const i = findLastIndex(list, pred);
  return i === -1 ? undefined : list[i];
}
