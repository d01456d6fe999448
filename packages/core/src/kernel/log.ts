/**
 * The kernel log: printk() and the wrappers kernel code prints through (dev_printk(), pr_debug(), dev_dbg()),
 * WARN()'s splat and the taint it leaves, and `dmesg`, the reader of the log buffer. It owns the records (the
 * ring of printk.ts), their sequence numbers and TAINT_WARN; it asks its host (the kernel) for the clock,
 * whether the kernel may still run, the call path and the trace. Models kernel/printk/printk.c and the WARN side
 * of kernel/panic.c.
 */
import type { Device } from '../base/device.ts';
import { checkInteger, checkOptions, checkString } from '../errors/check.ts';
import { SimError, show } from '../errors/sim-error.ts';
import type { Dmesg } from './kernel.ts';
import { formatRecord, KERN_DEBUG, KERN_WARNING, LogBuffer, type LogLevel, type LogRecord } from './printk.ts';
import type { Tracer } from './tracer.ts';
import type { KernelVersion } from './versions.ts';

/** Simulated time one printk() call takes. */
export const NS_PER_PRINTK = 1_000;

/** What the log needs of the kernel that prints. */
export interface LogHost {
  readonly dynamicDebug: boolean;
  readonly version: KernelVersion;
  readonly tracer: Tracer;
  /** The simulated call path (its last frame is the function that is running). */
  readonly stack: readonly string[];
  /** True once the kernel oopsed or was closed. */
  readonly unusable: boolean;
  /** The running task, as WARN's line names it (default pid 1). */
  readonly currentTask?: { readonly pid: number };
  /** Throws when the kernel can no longer run operations. */
  checkUsable(): void;
  /** Moves the kernel's clock on by `ns`; returns the new time. */
  advanceClock(ns: number): number;
  /** The call path with each operation's detail, outermost first. */
  callPath(): string[];
}

/** The kernel log of one kernel. */
export class KernelLog {
  /** The log buffer (log_buf). */
  readonly buffer: LogBuffer;
  /** `dmesg`: reads and clears the buffer. */
  readonly dmesg: Dmesg;
  private seq = 0;
  private taintWarn = false;

  constructor(
    private readonly host: LogHost,
    records: number,
  ) {
    this.buffer = new LogBuffer(records);
    this.dmesg = {
      records: (o) => this.buffer.records(dmesgLevel(o, 'dmesg.records()')),
      lines: (o) => {
        const level = dmesgLevel(o, 'dmesg.lines()');
        const timestamps = o?.timestamps ?? true;
        if (typeof timestamps !== 'boolean') {
          throw new SimError(
            'SIM_ERR_KERNEL_BAD_ARGUMENT',
            `dmesg.lines(): timestamps must be true or false, got ${show(timestamps)}`,
          );
        }
        return this.buffer.records(level).map((r) => (timestamps ? formatRecord(r) : r.text));
      },
      clear: () => {
        this.host.checkUsable();
        this.buffer.clear();
      },
    };
  }

  /** TAINT_WARN (bit 9, 'W'): a WARN() fired. */
  get tainted(): boolean {
    return this.taintWarn;
  }

  /** Models printk(), kernel/printk/printk.c: one record per line of `text`, all at the same time. */
  printk(level: LogLevel, text: string): void {
    const host = this.host;
    if (host.unusable) host.checkUsable();
    if (typeof level !== 'number' || !(level >= 0 && level <= 7 && Number.isInteger(level))) {
      checkInteger(level, 0, 7, 'kernel.printk()', 'the level (KERN_EMERG .. KERN_DEBUG)');
    }
    if (typeof text !== 'string') checkString(text, 'kernel.printk()', 'the text', "'vfio: ...'");
    const ts = host.advanceClock(NS_PER_PRINTK);
    const tracer = host.tracer;
    for (const line of String(text).split('\n')) {
      const record: LogRecord = { seq: this.seq++, ts, level, text: line };
      this.buffer.push(record);
      if (tracer.enabled) tracer.emit({ type: 'dmesg', level, text: line });
    }
  }

  /** Models dev_printk(), drivers/base/core.c: `<driver or bus> <device>: text`. */
  devPrintk(level: LogLevel, dev: Device, text: string): void {
    checkDevice(dev, 'kernel.devPrintk()');
    checkString(text, 'kernel.devPrintk()', 'the text', "'probe failed'");
    this.printk(level, `${dev.driver?.name ?? dev.bus.name} ${dev.name}: ${text}`);
  }

  /** Models pr_debug(), include/linux/printk.h: kept only with dynamic debug. */
  prDebug(text: string): void {
    const host = this.host;
    if (host.unusable) host.checkUsable();
    if (typeof text !== 'string') checkString(text, 'kernel.prDebug()', 'the text', "'bus: ...'");
    if (host.dynamicDebug) this.printk(KERN_DEBUG, text);
  }

  /** Models dev_dbg(), include/linux/device.h: kept only with dynamic debug. */
  devDbg(dev: Device, text: string): void {
    const host = this.host;
    if (host.unusable) host.checkUsable();
    checkDevice(dev, 'kernel.devDbg()');
    if (typeof text !== 'string') checkString(text, 'kernel.devDbg()', 'the text', "'Retrying from deferred list'");
    if (host.dynamicDebug) this.devPrintk(KERN_DEBUG, dev, text);
  }

  /** Models sysfs_warn_dup(), fs/sysfs/dir.c: the warning for a name that is already taken. */
  sysfsDuplicate(path: string): void {
    this.warn('fs/sysfs/dir.c', `sysfs: cannot create duplicate filename '${path}'`);
  }

  /**
   * Models __warn(), kernel/panic.c: the cut line, the WARNING line and the message (v4.12's warn_slowpath_fmt()
   * order; x86-64's __WARN_FLAGS in 6.12 prints the message first), the call trace, and taint W.
   */
  warn(where: string, text: string): void {
    const host = this.host;
    host.checkUsable();
    checkString(where, 'kernel.warn()', 'where', "'drivers/vfio/vfio.c:405'");
    checkString(text, 'kernel.warn()', 'the text', "'WARN_ON(...)'");
    const line = `WARNING: CPU: 0 PID: ${host.currentTask?.pid ?? 1} at ${where} ${host.stack.at(-1) ?? ''}`.trimEnd();
    this.printk(KERN_WARNING, '------------[ cut here ]------------');
    if (host.version.base === '6.12') {
      this.printk(KERN_WARNING, text);
      this.printk(KERN_WARNING, line);
    } else {
      this.printk(KERN_WARNING, line);
      this.printk(KERN_WARNING, text);
    }
    this.printCallTrace();
    this.printk(KERN_WARNING, '---[ end trace ]---');
    this.taintWarn = true;
  }

  /** Models show_stack()'s "Call Trace:" block, arch/x86/kernel/dumpstack.c: innermost frame first. */
  printCallTrace(): void {
    this.printk(KERN_WARNING, 'Call Trace:');
    for (const frame of this.host.callPath().reverse()) this.printk(KERN_WARNING, ` ${frame}`);
  }
}

/** True for what a device argument must be (kernel.device(name) gives one). */
export function isDevice(dev: unknown): boolean {
  const d = dev as { name?: unknown; bus?: unknown } | null;
  return typeof dev === 'object' && dev !== null && typeof d!.name === 'string' && typeof d!.bus === 'object';
}

/** A device argument (kernel.device(name) gives one). */
function checkDevice(dev: unknown, who: string): void {
  if (!isDevice(dev)) {
    throw new SimError(
      'SIM_ERR_KERNEL_BAD_ARGUMENT',
      `${who}: the device must be a device (kernel.device(name)), got ${show(dev)}`,
    );
  }
}

/** dmesg's `{ level }` option: a level 0..7, default KERN_DEBUG (everything). */
function dmesgLevel(o: unknown, who: string): LogLevel {
  const options = checkOptions<{ level: LogLevel }>(o, who, '{ level: KERN_INFO }');
  if (options.level === undefined) return KERN_DEBUG;
  return checkInteger(options.level, 0, 7, who, 'level') as LogLevel;
}
