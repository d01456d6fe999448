/**
 * Probe fault injection: the probe failures kernel.inject.probe() puts in place, each for one driver, on every
 * call or on one numbered call, and the check the bind path makes before it calls a driver's probe. When a fault
 * fires the probe is not called: its return is the injected errno, said in the log and the trace as the kernel's
 * fault injection says it. Models should_fail(), lib/fault-inject.c, as used at a probe call. (The notifier and
 * sysfs injections live with what they inject into: inject/ and the sysfs root.)
 */
import type { DeviceImpl } from '../base/device.ts';
import type { DriverImpl } from '../base/driver.ts';
import { ENOENT } from '../constants/errno.ts';
import { KERN_INFO, type LogLevel } from './printk.ts';
import type { Tracer } from './tracer.ts';

/** A probe fault in place: `at` is the probe call that fails (null: every call). */
export interface ProbeFaultEntry {
  readonly driver: DriverImpl;
  readonly errno: number;
  readonly at: number | null;
}

/** What probe faults need of the kernel: the log and the trace. */
export interface FaultHost {
  readonly tracer: Tracer;
  printk(level: LogLevel, text: string): void;
}

/** The probe faults in place on one kernel. */
export class ProbeFaults {
  /** The faults in place (null when none, so the bind path checks one field). */
  list: ProbeFaultEntry[] | null = null;

  constructor(private readonly host: FaultHost) {}

  /** Puts a fault in place; returns its removal (0, or -ENOENT when it was removed already). */
  add(fault: ProbeFaultEntry): () => number {
    this.list = [...(this.list ?? []), fault];
    return () => {
      const rest = (this.list ?? []).filter((f) => f !== fault);
      const removed = rest.length !== (this.list?.length ?? 0);
      this.list = rest.length === 0 ? null : rest;
      return removed ? 0 : -ENOENT;
    };
  }

  /** Models should_fail() before a probe: the injected return of this probe call, or null to run the probe. */
  check(drv: DriverImpl, dev: DeviceImpl): number | null {
    for (const f of this.list ?? []) {
      if (f.driver !== drv || (f.at !== null && f.at !== drv.probeCalls)) continue;
      this.host.printk(
        KERN_INFO,
        `FAULT_INJECTION: forcing a failure: probe of ${dev.name} by ${drv.name} returns ${f.errno}`,
      );
      const tracer = this.host.tracer;
      if (tracer.enabled) tracer.emit({ type: 'probe', device: dev.name, driver: drv.name, ret: f.errno });
      return f.errno;
    }
    return null;
  }
}
