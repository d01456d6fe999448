import type { Splat } from '../notifier/notifier-block.ts';
import type { LogLevel } from './printk.ts';

/** What the caller of a notifier chain did with its answer. */
export type NotifyOutcome = 'ignored' | 'honoured' | 'propagated';

/** Fields every trace event carries. */
interface Base {
  /** Order in the stream, from 0. */
  seq: number;
  /** Kernel clock, nanoseconds. */
  ts: number;
  /** Nesting: 0 for a top-level operation, +1 inside each chain call. */
  depth: number;
}

/** One event of the kernel's trace stream. */
export type TraceEvent =
  | (Base & { type: 'op.begin'; op: string; detail: string })
  | (Base & { type: 'op.end'; op: string; ret: number | null })
  | (Base & {
      type: 'chain.call';
      chain: string;
      action: number;
      actionName: string;
      device: string | null;
      caller: string | null;
    })
  | (Base & { type: 'chain.block'; chain: string; block: string; action: number; actionName: string; ret: number })
  | (Base & {
      type: 'chain.return';
      chain: string;
      action: number;
      actionName: string;
      ret: number;
      nrCalls: number;
      stoppedBy: string | null;
      /** Blocks registered on the chain that this call did not reach because an answer carried the stop bit. */
      skipped: string[];
      caller: string | null;
    })
  | (Base & {
      type: 'chain.outcome';
      chain: string;
      action: number;
      actionName: string;
      ret: number;
      caller: string;
      outcome: NotifyOutcome;
      /** What the caller did with the answer, in words (e.g. "driver_sysfs_add() returns -EINVAL"). */
      effect: string;
    })
  | (Base & { type: 'chain.register'; chain: string; block: string; priority: number; ret: number })
  | (Base & { type: 'chain.unregister'; chain: string; block: string; ret: number })
  | (Base & { type: 'probe'; device: string; driver: string; ret: number })
  | (Base & { type: 'device'; what: 'add' | 'del'; device: string; bus: string; ret: number })
  | (Base & { type: 'driver'; what: 'register' | 'unregister'; driver: string; bus: string; ret: number })
  | (Base & {
      type: 'bind';
      /** `refused`: 6.12's dma_configure() refused the bind before driver_sysfs_add() (no bus event, no probe). */
      what: 'bound' | 'not-bound' | 'unbound' | 'refused';
      device: string;
      driver: string;
      /** For `refused`: why, e.g. "pci_dma_configure() returned -16 (EBUSY)". */
      reason?: string;
    })
  | (Base & { type: 'sysfs'; what: 'write' | 'read'; path: string; text: string; ret: number | null })
  | (Base & { type: 'dmesg'; level: LogLevel; text: string })
  | (Base & { type: 'splat'; splat: Splat })
  | (Base & { type: 'oops'; where: string; message: string; callPath: string[] });

/** The type of a trace event. */
export type TraceEventType = TraceEvent['type'];

/** Distributive Omit over the union. */
export type TraceEventInput = TraceEvent extends infer E ? (E extends TraceEvent ? Omit<E, keyof Base> : never) : never;
