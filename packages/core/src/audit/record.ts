import { SimError, show } from '../errors/sim-error.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { STOP_BIND_ON_NOTIFY_BAD } from '../kernel/profile.ts';
import type { TraceEvent } from '../kernel/trace.ts';
import { isKernelBase, type KernelBase, kernelVersion } from '../kernel/versions.ts';
import { AuditCollector, type AuditContext } from './collector.ts';
import type { AuditReport } from './report.ts';

/** A recording of a kernel's run for the audit (see `recordAudit()`). */
export interface AuditRecording {
  /** The audit of what was recorded so far (recording goes on). */
  report(): AuditReport;
  /** Stops recording and returns the audit. Further calls return the same report. */
  stop(): AuditReport;
}

/** The audit's view of a kernel: its flag, its buses and their blocks. */
export function kernelContext(kernel: Kernel): AuditContext {
  const stopBindOnNotifyBad = kernel.hasFlag(STOP_BIND_ON_NOTIFY_BAD);
  return {
    stopBindOnNotifyBad,
    version: kernel.version,
    isBus: (chain) => kernel.buses().some((b) => b.name === chain),
    blocksOf: (chain) =>
      kernel
        .buses()
        .find((b) => b.name === chain)
        ?.notifier.blocks()
        .map((b) => b.name),
    busBlocks: () => kernel.buses().map((b) => ({ chain: b.name, blocks: b.notifier.blocks().map((nb) => nb.name) })),
  };
}

function checkKernel(kernel: unknown, who: string): asserts kernel is Kernel {
  const k = kernel as Partial<Kernel> | null;
  if (
    typeof k !== 'object' ||
    k === null ||
    typeof k.trace?.subscribe !== 'function' ||
    typeof k.buses !== 'function' ||
    typeof k.hasFlag !== 'function'
  ) {
    throw new SimError(
      'SIM_ERR_KERNEL_BAD_OPTION',
      `${who} takes a kernel made by createKernel(), got ${show(kernel)}; pass the kernel whose run you want audited`,
    );
  }
}

/**
 * Records a kernel's run for the ineffective-veto audit: from now on, every chain call, every block's answer, what
 * the caller did with it and every kernel death is kept. `stop()` gives the report: every answer other than 0 /
 * NOTIFY_OK / NOTIFY_DONE, by bus, event and block, decoded, with its outcome and collateral.
 */
export function recordAudit(kernel: Kernel): AuditRecording {
  checkKernel(kernel, 'recordAudit()');
  const collector = new AuditCollector();
  const context = kernelContext(kernel);
  collector.attach(context, 'scenario');
  const unsubscribe = kernel.trace.subscribe((e) => collector.feed(e));
  let final: AuditReport | null = null;
  const make = () => collector.report('scenario', kernel.profile.name, kernel.profile.flags);
  return {
    report: () => final ?? make(),
    stop: () => {
      if (final === null) {
        unsubscribe();
        collector.detach();
        final = make();
      }
      return final;
    },
  };
}

/** auditTrace() options: what the kernel that produced the trace ran under. */
export interface AuditTraceOptions {
  /** The profile's name, for the report. Default `v4.12`, or `custom` when flags are given. */
  readonly profile?: string;
  /** The profile's flags (`stopBindOnNotifyBad` changes what driver_sysfs_add() does). Default none. */
  readonly flags?: readonly string[];
  /** Names of the bus chains; default: chains whose actions are named BUS_NOTIFY_*. */
  readonly buses?: readonly string[];
  /** The base kernel the trace comes from ('4.12' or '6.12'; its BUS_NOTIFY_* numbering). Default '4.12'. */
  readonly base?: KernelBase;
}

/** The audit of a recorded trace (e.g. JSON Lines written with `toJsonl()` and parsed back). */
export function auditTrace(events: readonly TraceEvent[], options: AuditTraceOptions = {}): AuditReport {
  if (!Array.isArray(events)) {
    throw new SimError(
      'SIM_ERR_KERNEL_BAD_OPTION',
      `auditTrace() takes an array of trace events (kernel.trace.record().events), got ${show(events)}`,
    );
  }
  if (typeof options !== 'object' || options === null) {
    throw new SimError(
      'SIM_ERR_KERNEL_BAD_OPTION',
      `auditTrace() options are { profile?, flags?, buses? }, got ${show(options)}`,
    );
  }
  const flags = options.flags ?? [];
  const buses = options.buses;
  if (!Array.isArray(flags) || flags.some((f) => typeof f !== 'string')) {
    throw new SimError(
      'SIM_ERR_KERNEL_BAD_OPTION',
      `auditTrace({ flags }) is an array of flag names, got ${show(flags)}`,
    );
  }
  if (buses !== undefined && (!Array.isArray(buses) || buses.some((b) => typeof b !== 'string'))) {
    throw new SimError(
      'SIM_ERR_KERNEL_BAD_OPTION',
      `auditTrace({ buses }) is an array of bus names such as ['platform', 'pci', 'i2c'], got ${show(buses)}`,
    );
  }
  const base = options.base ?? '4.12';
  if (!isKernelBase(base)) {
    throw new SimError('SIM_ERR_KERNEL_BAD_OPTION', `auditTrace({ base }) is '4.12' or '6.12', got ${show(base)}`);
  }
  const version = kernelVersion(base);
  const collector = new AuditCollector();
  collector.attach(
    {
      stopBindOnNotifyBad: flags.includes(STOP_BIND_ON_NOTIFY_BAD),
      version,
      isBus: (chain, actionName) =>
        buses === undefined ? actionName.startsWith('BUS_NOTIFY_') : buses.includes(chain),
      blocksOf: () => undefined,
      busBlocks: () => [],
    },
    'scenario',
  );
  for (const e of events) {
    if (typeof e !== 'object' || e === null || typeof (e as { type?: unknown }).type !== 'string') {
      throw new SimError('SIM_ERR_KERNEL_BAD_OPTION', `auditTrace(): ${show(e)} is not a trace event`);
    }
    collector.feed(e);
  }
  collector.detach();
  const profile = options.profile ?? (flags.length > 0 || base !== '4.12' ? 'custom' : 'v4.12');
  return collector.report('scenario', profile, flags, version);
}
