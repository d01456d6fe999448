/**
 * Device locks: struct device's mutex (include/linux/device.h, device_lock()/device_unlock()) as the bind path takes
 * it. Outside a task run a free lock costs a flag; in a task run taking one is a switch point, a lock another task
 * holds blocks the taker (its owner is kept for the hung-task report), and one the taker holds already is the
 * recursive-locking splat and -EDEADLK for the operation.
 */
import type { DeviceImpl } from '../base/device.ts';
import type { Splat } from '../notifier/notifier-block.ts';
import { Deadlock } from './bug.ts';
import { asSleepable, type Scheduler, type Sleepable, SWITCH_LOCK, type Task, YIELD_BLOCK } from './sched.ts';
import { deviceLockWaiter } from './wait.ts';

/** What the locks need of the kernel. */
export interface LockHost {
  readonly sched: Scheduler;
  /** The running task. */
  readonly currentTask: Task;
  /** The running task's call path (its last frame names who takes the lock). */
  readonly stack: readonly string[];
  reportSplat(s: Splat): void;
}

/** The device locks of one kernel. */
export class DeviceLocks {
  constructor(private readonly host: LockHost) {}

  /** Models device_lock(), include/linux/device.h, for a sleepable path. */
  *lock(dev: DeviceImpl): Sleepable<void> {
    const { sched } = this.host;
    // A switch point; the step after it resumes inside the kernel, which the scheduler counts as touching it.
    if (sched.multi) yield SWITCH_LOCK;
    for (;;) {
      const me = this.host.currentTask;
      if (!dev.locked) {
        dev.locked = true;
        if (sched.multi) {
          sched.lockOwners.set(dev, me);
          me.held.push(`device_lock(${dev.name})`);
        }
        return;
      }
      const owner = sched.multi ? sched.lockOwners.get(dev) : undefined;
      if (owner === undefined || owner === me) this.deadlock(dev);
      yield {
        kind: YIELD_BLOCK,
        on: deviceLockWaiter(dev, sched),
        timeout: Number.POSITIVE_INFINITY,
        interruptible: false,
      };
    }
  }

  /** Models device_unlock(), include/linux/device.h. */
  unlock(dev: DeviceImpl): void {
    dev.locked = false;
    const { sched } = this.host;
    if (!sched.multi) return;
    const me = this.host.currentTask;
    if (sched.lockOwners.get(dev) !== me) return;
    sched.lockOwners.delete(dev);
    const i = me.held.lastIndexOf(`device_lock(${dev.name})`);
    if (i !== -1) me.held.splice(i, 1);
  }

  /** device_lock(dev) around fn. */
  *around(dev: DeviceImpl, fn: () => number | Sleepable<number>): Sleepable<number> {
    if (dev.locked || this.host.sched.multi) yield* this.lock(dev);
    else dev.locked = true;
    try {
      const r = fn();
      return typeof r === 'number' ? r : yield* r;
    } finally {
      this.unlock(dev);
    }
  }

  /** The parent's lock (if any, and if asked), then the device's. */
  aroundBoth(dev: DeviceImpl, parentToo: boolean, fn: () => number | Sleepable<number>): Sleepable<number> {
    const parent = parentToo ? dev.parent : null;
    if (parent === null) return this.around(dev, fn);
    return this.around(parent, () => this.around(dev, fn));
  }

  /** The parent's lock (if any) around fn ("Needed for USB"). */
  aroundParent(dev: DeviceImpl, fn: () => number | Sleepable<number>): Sleepable<number> {
    return dev.parent === null ? asSleepable(fn()) : this.around(dev.parent, fn);
  }

  /** A lock the running task holds already: lockdep's splat, then the operation ends with -EDEADLK. */
  private deadlock(dev: DeviceImpl): never {
    this.host.reportSplat({
      kind: 'recursive-locking',
      chain: `device_lock(${dev.name})`,
      block: null,
      action: null,
      message: 'WARNING: possible recursive locking detected',
      detail: `${this.host.stack.at(-1) ?? 'this task'} takes the lock of device ${dev.name}, which this task already holds: v4.12 deadlocks; sim ended the operation with -EDEADLK`,
      fatal: false,
    });
    throw new Deadlock(`device_lock(${dev.name})`);
  }
}
