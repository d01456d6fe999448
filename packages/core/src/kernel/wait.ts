/**
 * Waits: what kernel code that sleeps yields to the scheduler. Models wait_event_timeout() and friends
 * (include/linux/wait.h) and msleep() (kernel/time/timer.c) for sim's tasks (see sched.ts).
 */
import { type BlockYield, type Scheduler, type Sleepable, type Task, type Waiter, YIELD_BLOCK } from './sched.ts';

/** The waiter of a device lock: ready once the lock is free; its holder for the hung-task report. */
export function deviceLockWaiter(dev: { readonly name: string; readonly locked: boolean }, sched: Scheduler): Waiter {
  return {
    what: `device_lock(${dev.name})`,
    ready: () => !dev.locked,
    holder: (): Task | null => sched.lockOwners.get(dev) ?? null,
  };
}

/**
 * Models wait_event_timeout(), include/linux/wait.h: true at once when `until()` holds, else the task sleeps until
 * it does (true) or `timeoutNs` of simulated time pass (false, unless the condition came true meanwhile).
 * `until` is asked by the scheduler between other tasks' steps: it must only read state.
 */
export function* waitEventTimeout(what: string, until: () => boolean, timeoutNs: number): Sleepable<boolean> {
  if (until() === true) return true;
  const waiter: Waiter = {
    what,
    ready: () => {
      try {
        return until() === true;
      } catch {
        // Resume the task: the condition throws again in its own context, where the operation reports it.
        return true;
      }
    },
    holder: () => null,
  };
  const block: BlockYield = { kind: YIELD_BLOCK, on: waiter, timeout: timeoutNs, interruptible: false };
  const woken = yield block;
  return woken || until() === true;
}

const NEVER: Waiter = { what: 'a timer', ready: () => false, holder: () => null };

/** Models msleep(), kernel/time/timer.c: the task sleeps `ns` of simulated time (uninterruptibly). */
export function* msleep(ns: number): Sleepable<void> {
  if (ns <= 0) return;
  yield { kind: YIELD_BLOCK, on: NEVER, timeout: ns, interruptible: false };
}
