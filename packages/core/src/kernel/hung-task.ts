/**
 * The hung-task report. Models check_hung_task() (kernel/hung_task.c): "INFO: task comm:pid blocked for more than N
 * seconds.", then sim's line saying what the task waits for and who holds it, the call trace, and lockdep's
 * debug_show_all_locks() list of the locks the tasks involved hold.
 */
import type { KernelLog } from './log.ts';
import { KERN_ERR } from './printk.ts';
import { NS_PER_SEC, type Task } from './sched.ts';
import type { Tracer } from './tracer.ts';

/** What the report needs of the kernel. */
export interface HungTaskHost {
  readonly log: KernelLog;
  readonly tracer: Tracer;
  now(): number;
  /** Prints `t`'s call trace. */
  printCallTraceOf(t: Task): void;
}

/** Prints the report for the blocked tasks (blocked since `since`, simulated ns) and traces a splat for each. */
export function reportHungTasks(host: HungTaskHost, blocked: readonly Task[], since: number): void {
  const { log, tracer } = host;
  const seconds = Math.round((host.now() - since) / NS_PER_SEC);
  for (const t of blocked) {
    const w = t.waiting;
    const holder = w?.on.holder() ?? null;
    const detail = `${t.comm}:${t.pid} waits for ${w?.on.what ?? 'nothing'}${holder === null ? '' : `, held by ${holder.comm}:${holder.pid}`}`;
    const message = `INFO: task ${t.comm}:${t.pid} blocked for more than ${seconds} seconds.`;
    log.printk(KERN_ERR, message);
    log.printk(KERN_ERR, `  ${detail}`);
    log.printk(KERN_ERR, '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.');
    host.printCallTraceOf(t);
    if (tracer.enabled) {
      tracer.emit({
        type: 'splat',
        splat: {
          kind: 'hung-task',
          chain: w?.on.what ?? t.name,
          block: null,
          action: null,
          message,
          detail: `${detail}; sim ended the operation with -EDEADLK`,
          fatal: false,
        },
      });
    }
  }
  const involved = new Set<Task>(blocked);
  for (const t of blocked) {
    const h = t.waiting?.on.holder();
    if (h) involved.add(h);
  }
  const withLocks = [...involved].filter((t) => t.held.length > 0);
  if (withLocks.length === 0) return;
  log.printk(KERN_ERR, 'Showing all locks held in the system:');
  for (const t of withLocks) {
    log.printk(KERN_ERR, `${t.held.length} lock${t.held.length === 1 ? '' : 's'} held by ${t.comm}/${t.pid}:`);
    for (const [i, lock] of t.held.entries()) log.printk(KERN_ERR, ` #${i}: (${lock})`);
  }
}
