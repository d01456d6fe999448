/**
 * A notifier callback, as the kernel's `int (*notifier_call)(struct notifier_block *nb, unsigned long action,
 * void *data)` with the block moved last: most callbacks only need the action and the data. It may return any
 * 32-bit int; only the NOTIFY_STOP_MASK bit changes what the chain does.
 */
export type NotifierFn<D> = (action: number, data: D, nb: NotifierBlock<D>) => number;

/** Models struct notifier_block, include/linux/notifier.h, plus the name every sim registration carries. */
export interface NotifierBlock<D = unknown> {
  /** Shown in traces, splats and errors. Required. */
  readonly name: string;
  /** Higher runs first; equal priorities run in registration order. Default 0; any 32-bit int. */
  readonly priority?: number;
  /** The callback. */
  readonly notifierCall: NotifierFn<D>;
  /** Set when the callback may sleep (takes a mutex, allocates with GFP_KERNEL): wrong on an atomic chain. */
  readonly mightSleep?: boolean;
}

/** The four chain kinds of kernel/notifier.c. */
export type ChainKind = 'atomic' | 'blocking' | 'raw' | 'srcu';

/** The chain kinds, in the order include/linux/notifier.h declares them. */
export const CHAIN_KINDS: readonly ChainKind[] = ['atomic', 'blocking', 'raw', 'srcu'];

/** The in/out counter of the `__*_notifier_call_chain(..., nr_to_call, int *nr_calls)` form. */
export interface NrCalls {
  count: number;
}

/** What registering hands back: the kernel's int, and the undo of this very registration. */
export interface Registration {
  /** The kernel function's return: 0, or a negative errno when sim refused a hazard (see `splats`). */
  readonly ret: number;
  /** Unregisters the block if this registration added it; returns the kernel's int (0 or -ENOENT). */
  unregister(): number;
}

/** Kinds of hazard: things that would hang, corrupt or crash a real kernel, which sim reports instead. */
export type SplatKind =
  | 'double-register'
  | 'recursive-locking'
  | 'illegal-synchronize'
  | 'sleep-in-atomic'
  | 'stack-overflow'
  /** A walk that would never end: a block pointing at itself after it was registered twice (v4.12). */
  | 'soft-lockup'
  /** A task that waits for something only it could do (khungtaskd's report); see `Kernel.hang()`. */
  | 'hung-task'
  /** deferred_probe_work_func() retrying devices that come back deferred with nothing changed, without end. */
  | 'deferred-probe-livelock';

/** A hazard report: what the kernel would print (`message`), and what it would have done and what sim did. */
export interface Splat {
  readonly kind: SplatKind;
  /** The chain's name. */
  readonly chain: string;
  /** The block concerned, when there is one. */
  readonly block: string | null;
  /** The action being called, when the hazard happened inside a call. */
  readonly action: number | null;
  /** The first line the kernel would print (lockdep, might_sleep, ...). */
  readonly message: string;
  /** What v4.12 would do next, and what sim did instead. */
  readonly detail: string;
  /** True when the real kernel would not survive it (sim's kernel turns these into an oops). */
  readonly fatal: boolean;
  /**
   * Set when the kernel itself WARN()s here (6.12's "notifier callback %ps already registered"): the file:line the
   * WARNING line names. sim's kernel prints the kernel's WARN splat for it instead of sim's note.
   */
  readonly warn?: string;
}

/**
 * The chain's one observer seam, like tapable's interceptors. Every hook is optional. With no observer the call
 * path does no extra work and allocates nothing.
 */
export interface ChainObserver<D = unknown> {
  /** A call of the chain begins. */
  call?(action: number, data: D): void;
  /** A block returned `ret`. */
  block?(nb: NotifierBlock<D>, action: number, data: D, ret: number): void;
  /** The call ended with `ret` after `nrCalls` callbacks; `stoppedBy` is the block whose answer stopped it. */
  done?(action: number, data: D, ret: number, nrCalls: number, stoppedBy: NotifierBlock<D> | null): void;
  /** A register, condRegister or unregister happened with this kernel return. */
  register?(nb: NotifierBlock<D>, ret: number): void;
  unregister?(nb: NotifierBlock<D>, ret: number): void;
  /** A hazard was detected. */
  splat?(splat: Splat): void;
}
