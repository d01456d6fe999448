/**
 * The kernel's notifier chains as the kernel sees them: every chain it made (the buses' chains, the plugins'),
 * in creation order, each with the names of its actions; calling a chain as kernel code does (the chain's frame
 * on the call path, the caller named in the trace); the bus notifications of drivers/base; the trace observers
 * that turn chain calls into trace events while the trace is on; and refusing every call once the kernel is
 * dead. The chains themselves (registration, the call walk) are notifier/; this is the kernel's list of them.
 * Models blocking_notifier_call_chain() on the bus notifier (drivers/base/*.c) and bus_notify(),
 * drivers/base/bus.c (6.12).
 */
import type { DeviceImpl } from '../base/device.ts';
import { checkFunction, checkInteger, checkString } from '../errors/check.ts';
import { SimError, show } from '../errors/sim-error.ts';
import { type NotifierHead, REFUSE } from '../notifier/chain.ts';
import { type ChainByKind, createNotifierChain } from '../notifier/create.ts';
import type { ChainKind, NotifierBlock, Splat } from '../notifier/notifier-block.ts';
import type { NotifyOutcome } from './trace.ts';
import type { Tracer } from './tracer.ts';
import { BUS_NOTIFY_VOID_EFFECT, type KernelVersion } from './versions.ts';

/** What the chain list needs of the kernel. */
export interface ChainHost {
  readonly version: KernelVersion;
  readonly tracer: Tracer;
  /** The simulated call path: a chain call pushes the chain's frame. */
  readonly stack: string[];
  readonly unusable: boolean;
  /** True while a plugin's setup runs (its changes are journaled). */
  readonly journaling: boolean;
  checkUsable(): void;
  /** Prints, traces and (if fatal) dies of a chain's hazard. */
  reportSplat(s: Splat): void;
  /** Keeps the undo of a change a plugin's setup is making. */
  journalUndo(undo: () => void): void;
}

interface ChainEntry {
  chain: NotifierHead<unknown>;
  namer: (action: number) => string;
  undo: (() => void) | null;
}

/** The outcomes traceOutcome() accepts. */
const NOTIFY_OUTCOMES: readonly NotifyOutcome[] = ['ignored', 'honoured', 'propagated'];

/** The chains one kernel made, and how it calls them. */
export class ChainRegistry {
  /** The chains this kernel made, in creation order (a Map: a million IOMMU groups come and go). */
  private readonly entries = new Map<object, ChainEntry>();
  /**
   * Who is calling the chain being called (for the trace). Set around each call, here and in
   * KernelImpl.busNotify(), the bind path's hot call, which does the call itself: a call through this module
   * measured 20 % slower there (docs/decisions/2026-12-02-kernel-object-split.md).
   */
  caller: string | null = null;
  /** Each chain's frame in the call path, made once. */
  readonly frames = new WeakMap<object, string>();

  constructor(
    private readonly host: ChainHost,
    /** createKernel({ compileChains }): false keeps every chain on the interpreted walk (no generated code). */
    private readonly compileChains: boolean,
  ) {}

  /** A new chain the kernel reports the hazards of and traces; see Kernel.createChain(). */
  create<K extends ChainKind, D = unknown>(
    kind: K,
    name: string,
    actionName: (action: number) => string = (a) => `action ${a}`,
  ): ChainByKind<D>[K] {
    const host = this.host;
    host.checkUsable();
    checkFunction(actionName, 'kernel.createChain()', 'actionName', '(action) => name');
    const chain = createNotifierChain<K, D>(kind, name, {
      onSplat: (s) => host.reportSplat(s),
      journal: (undo) => host.journalUndo(undo),
      base: host.version.base,
      ...(this.compileChains ? {} : { compileAfter: Number.POSITIVE_INFINITY }),
    });
    this.frames.set(chain, `${kind}_notifier_call_chain(${name})`);
    const entry: ChainEntry = { chain: chain as unknown as NotifierHead<unknown>, namer: actionName, undo: null };
    this.entries.set(chain, entry);
    if (host.tracer.enabled) entry.undo = this.observe(entry);
    host.journalUndo(() => this.forget(chain));
    return chain;
  }

  /** Forgets a chain made with create() (a plugin's chain that is gone, such as a released IOMMU group's). */
  drop(chain: { name: string }): void {
    const host = this.host;
    host.checkUsable();
    if (!host.journaling) {
      this.forget(chain);
      return;
    }
    const order = [...this.entries.keys()];
    const entry = this.forget(chain);
    if (entry === null) return;
    host.journalUndo(() => {
      if (this.entries.has(chain)) return;
      // Back in its place: the chains after it are taken out and put back behind it.
      const after = order.slice(order.indexOf(chain) + 1).filter((c) => this.entries.has(c));
      const moved = after.map((c) => this.entries.get(c)!);
      for (const c of after) this.entries.delete(c);
      this.entries.set(chain, entry);
      for (let i = 0; i < after.length; i++) this.entries.set(after[i]!, moved[i]!);
      if (host.tracer.enabled) entry.undo = this.observe(entry);
    });
  }

  /** Takes a chain off the list (its trace observer too); returns its entry, or null. */
  forget(chain: { name: string }): ChainEntry | null {
    const entry = this.entries.get(chain);
    if (entry === undefined) return null;
    entry.undo?.();
    entry.undo = null;
    this.entries.delete(chain);
    return entry;
  }

  /** Kernel.callChain(): a chain called as kernel code does, every argument checked. */
  call<D>(
    chain: { callChain(action: number, data: D): number; name: string },
    action: number,
    data: D,
    caller: string,
  ): number {
    const host = this.host;
    if (host.unusable) host.checkUsable();
    if (
      typeof chain !== 'object' ||
      chain === null ||
      typeof chain.callChain !== 'function' ||
      typeof chain.name !== 'string'
    ) {
      throw new SimError(
        'SIM_ERR_KERNEL_BAD_ARGUMENT',
        `kernel.callChain(): the chain must be a notifier chain (kernel.createChain(), bus.notifier), got ${show(chain)}`,
      );
    }
    if (typeof action !== 'number' || action >>> 0 !== action) {
      throw new SimError(
        'SIM_ERR_NOTIFIER_BAD_ACTION',
        `kernel.callChain() on chain '${chain.name}' was given action ${show(action)}; pass an unsigned 32-bit integer such as BUS_NOTIFY_ADD_DEVICE`,
      );
    }
    checkString(caller, 'kernel.callChain()', 'the caller', "'iommu_group_add_device'");
    return this.callAs(chain, action, data, caller);
  }

  /** call() for the driver core's own calls, whose arguments are known good. */
  private callAs<D>(
    chain: { callChain(action: number, data: D): number; name: string },
    action: number,
    data: D,
    caller: string,
  ): number {
    const host = this.host;
    const prev = this.caller;
    this.caller = caller;
    host.stack.push(this.frames.get(chain) ?? chain.name);
    const ret = chain.callChain(action, data);
    host.stack.pop();
    this.caller = prev;
    return ret;
  }

  /**
   * What the driver core does with a bus notification whose answer it ignores (every call site of v4.12's
   * drivers/base), or, from v6.3, bus_notify(), drivers/base/bus.c, which returns nothing: it says so in the trace.
   * `ret` is the answer of the notification just made.
   */
  traceIgnored(dev: DeviceImpl, action: number, ret: number, caller: string): void {
    const host = this.host;
    if (host.tracer.enabled) {
      this.traceOutcome(
        dev.bus.notifier,
        action,
        ret,
        caller,
        'ignored',
        host.version.busNotifyVoid ? BUS_NOTIFY_VOID_EFFECT : `${caller}() ignores the answer`,
      );
    }
  }

  /** Kernel.traceOutcome(): what the caller did with a chain's answer, traced. */
  traceOutcome(
    chain: { name: string },
    action: number,
    ret: number,
    caller: string,
    outcome: NotifyOutcome,
    effect: string,
  ): void {
    const host = this.host;
    if (host.unusable) host.checkUsable();
    if (typeof chain !== 'object' || chain === null || typeof chain.name !== 'string') {
      throw new SimError(
        'SIM_ERR_KERNEL_BAD_ARGUMENT',
        `kernel.traceOutcome(): the chain must be the notifier chain that was called, got ${show(chain)}`,
      );
    }
    checkInteger(action, 0, 0xffffffff, 'kernel.traceOutcome()', 'the action');
    checkInteger(ret, -0x80000000, 0x7fffffff, 'kernel.traceOutcome()', "the chain's answer");
    checkString(caller, 'kernel.traceOutcome()', 'the caller', "'driver_sysfs_add'");
    if (!NOTIFY_OUTCOMES.includes(outcome)) {
      throw new SimError(
        'SIM_ERR_KERNEL_BAD_ARGUMENT',
        `kernel.traceOutcome(): the outcome must be one of ${NOTIFY_OUTCOMES.join(', ')}, got ${show(outcome)}`,
      );
    }
    checkString(effect, 'kernel.traceOutcome()', 'the effect', "'driver_sysfs_add() ignores the answer'");
    const tracer = host.tracer;
    if (!tracer.enabled) return;
    const entry = this.entries.get(chain);
    tracer.emit({
      type: 'chain.outcome',
      chain: chain.name,
      action,
      actionName: entry?.namer(action) ?? `action ${action}`,
      ret,
      caller,
      outcome,
      effect,
    });
  }

  /** The trace went on or off: every chain's observer with it. */
  toggleObservers(on: boolean): void {
    for (const e of this.entries.values()) {
      if (on && e.undo === null) e.undo = this.observe(e);
      if (!on && e.undo !== null) {
        e.undo();
        e.undo = null;
      }
    }
  }

  /** A dead or closed kernel's chains refuse every register, unregister and call (see checkUsable()). */
  refuseAll(): void {
    const host = this.host;
    const refusal = (): never => {
      host.checkUsable();
      throw new SimError('SIM_ERR_KERNEL_DEAD', 'this kernel runs nothing more');
    };
    for (const e of this.entries.values()) e.chain[REFUSE](refusal);
  }

  /** Names of the chains, in creation order. */
  names(): string[] {
    return [...this.entries.values()].map((e) => e.chain.name);
  }

  /** A chain by name. */
  named(name: unknown): NotifierHead<unknown> | undefined {
    for (const e of this.entries.values()) if (e.chain.name === name) return e.chain;
    return undefined;
  }

  /** The name of an action on a chain (BUS_NOTIFY_BIND_DRIVER, IOMMU_GROUP_NOTIFY_BIND_DRIVER ...). */
  actionName(chain: object, action: number): string {
    return this.entries.get(chain)?.namer(action) ?? `action ${action}`;
  }

  private observe(entry: ChainEntry): () => void {
    const { chain, namer } = entry;
    const tracer = this.host.tracer;
    return chain.observe({
      call: (action, data) => {
        tracer.emit({
          type: 'chain.call',
          chain: chain.name,
          action,
          actionName: namer(action),
          device: deviceNameOf(data),
          caller: this.caller,
        });
        tracer.depth++;
      },
      block: (nb, action, _data, ret) => {
        tracer.emit({ type: 'chain.block', chain: chain.name, block: nb.name, action, actionName: namer(action), ret });
      },
      done: (action, _data, ret, nrCalls, stoppedBy) => {
        tracer.depth--;
        tracer.emit({
          type: 'chain.return',
          chain: chain.name,
          action,
          actionName: namer(action),
          ret,
          nrCalls,
          stoppedBy: stoppedBy?.name ?? null,
          skipped: stoppedBy === null ? [] : blocksAfter(chain.blocks(), stoppedBy),
          caller: this.caller,
        });
      },
      register: (nb, ret) => {
        tracer.emit({
          type: 'chain.register',
          chain: chain.name,
          block: nb.name,
          priority: chain.priorityOf(nb) ?? nb.priority ?? 0,
          ret,
        });
      },
      unregister: (nb, ret) => {
        tracer.emit({ type: 'chain.unregister', chain: chain.name, block: nb.name, ret });
      },
    });
  }
}

function deviceNameOf(data: unknown): string | null {
  if (typeof data === 'object' && data !== null && 'name' in data && typeof data.name === 'string') return data.name;
  return null;
}

/** The names of the blocks after `nb` in call order: those a stop at `nb` kept from being called. */
function blocksAfter<D>(blocks: NotifierBlock<D>[], nb: NotifierBlock<D>): string[] {
  const i = blocks.indexOf(nb);
  return i === -1 ? [] : blocks.slice(i + 1).map((b) => b.name);
}
