/**
 * The oops: what happens when the kernel dies. BUG() and fatal splats print the oops report (the cut line, the
 * headline, the taint, the call trace), keep the oops record, and kill the running task; splats that are not
 * fatal are printed and traced. It also owns whether the kernel may still run at all: once it oopsed or was
 * closed it runs nothing more (reads still work), and every operation checks that first. Models BUG() and die()
 * (include/asm-generic/bug.h, arch/x86/kernel/dumpstack.c) and the oops side of kernel/panic.c.
 */

import { checkString } from '../errors/check.ts';
import { SimError } from '../errors/sim-error.ts';
import type { Splat } from '../notifier/notifier-block.ts';
import { KernelOops, type Oops } from './bug.ts';
import type { KernelLog } from './log.ts';
import { KERN_CRIT, KERN_ERR, KERN_WARNING } from './printk.ts';
import type { Tracer } from './tracer.ts';
import type { KernelVersion } from './versions.ts';

/** What the oops needs of the kernel that dies. */
export interface OopsHost {
  readonly log: KernelLog;
  readonly tracer: Tracer;
  readonly version: KernelVersion;
  /** The call path with each operation's detail, outermost first. */
  callPath(): string[];
  /** Makes every chain refuse every call from now on (the kernel is dead or closed). */
  refuseChains(): void;
  /** The running task, as the oops's CPU line names it (default pid 1, sim). */
  readonly currentTask?: { readonly pid: number; readonly comm: string };
}

/** The oops record of one kernel, and whether it may still run. */
export class OopsRecorder {
  /** The oops record once the kernel died, else null. */
  record: Oops | null = null;
  /** True once close() finished. */
  closed = false;
  /** True once a task run was abandoned with operations half done (see kernel.runTasks()). */
  abandoned = false;
  /** True once the kernel oopsed, was closed or abandoned: it runs nothing more (reads still work). */
  unusable = false;

  constructor(private readonly host: OopsHost) {}

  /** Throws when the kernel can no longer run operations. */
  checkUsable(): void {
    if (this.abandoned && this.record === null) {
      throw new SimError(
        'SIM_ERR_KERNEL_ABANDONED',
        'a task run on this kernel was abandoned (or its chooser threw) with operations half done; read its state, then create a new kernel for the next run',
      );
    }
    if (this.closed) {
      throw new SimError('SIM_ERR_KERNEL_CLOSED', 'this kernel was closed; create a new one with createKernel()');
    }
    if (this.record !== null) {
      throw new SimError(
        'SIM_ERR_KERNEL_DEAD',
        `this kernel died: ${this.record.message} (in ${this.record.callPath.join(' > ')}); a dead kernel runs nothing more: read kernel.oops and kernel.dmesg, then create a new kernel`,
      );
    }
  }

  /** A task run was abandoned: the kernel runs nothing more. */
  markAbandoned(): void {
    this.abandoned = true;
    this.unusable = true;
  }

  /** The kernel is closed: it runs nothing more. */
  markClosed(): void {
    this.closed = true;
    this.unusable = true;
    this.host.refuseChains();
  }

  /** Models BUG(), include/asm-generic/bug.h: the oops, then the running task is killed; never returns. */
  bug(where: string, message?: string): never {
    this.checkUsable();
    checkString(where, 'kernel.bug()', 'where', "'drivers/vfio/vfio.c:733'");
    if (message !== undefined) checkString(message, 'kernel.bug()', 'the message', "'kernel BUG at ...!'");
    this.die(where, message ?? `kernel BUG at ${where}!`);
  }

  /** Models die(), arch/x86/kernel/dumpstack.c: the oops report, then the running task is killed. */
  die(where: string, message: string): never {
    const oops = this.recordOops(where, message);
    throw new KernelOops(oops);
  }

  /** Models oops_begin() .. oops_end(), arch/x86/kernel/dumpstack.c: prints the report and keeps the record. */
  recordOops(where: string, message: string, cause?: unknown): Oops {
    const { log, tracer } = this.host;
    const callPath = this.host.callPath();
    const oops: Oops = cause === undefined ? { where, message, callPath } : { where, message, callPath, cause };
    log.printk(KERN_WARNING, '------------[ cut here ]------------');
    log.printk(KERN_CRIT, message);
    log.printk(KERN_WARNING, 'invalid opcode: 0000 [#1] SMP');
    log.printk(
      KERN_WARNING,
      `CPU: 0 PID: ${this.host.currentTask?.pid ?? 1} Comm: ${this.host.currentTask?.comm ?? 'sim'} ${log.tainted ? 'Tainted: G        W' : 'Not tainted'} ${this.host.version.release} #1`,
    );
    log.printCallTrace();
    log.printk(KERN_WARNING, '---[ end trace ]---');
    this.record = oops;
    this.unusable = true;
    this.host.refuseChains();
    if (tracer.enabled) tracer.emit({ type: 'oops', where, message, callPath: [...oops.callPath] });
    return oops;
  }

  /** A hazard: printed as the kernel would, traced, and fatal ones kill the kernel. */
  reportSplat(s: Splat): void {
    const { log, tracer } = this.host;
    if (s.warn !== undefined) {
      // A WARN() the kernel itself issues (6.12's duplicate registration): the kernel's own splat, no sim note.
      log.warn(s.warn, s.message);
    } else {
      const level = s.kind === 'sleep-in-atomic' ? KERN_ERR : KERN_WARNING;
      log.printk(level, s.message);
      log.printk(level, `  ${s.detail}`);
    }
    if (tracer.enabled) tracer.emit({ type: 'splat', splat: s });
    if (s.fatal) this.die(s.chain, s.message);
  }
}
