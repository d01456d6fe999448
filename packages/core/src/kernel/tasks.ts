/**
 * Task runs: userspace processes making system calls, interleaved by the scheduler (sched.ts). Each system call is
 * a switch point before it enters the kernel; inside, locks and waits may switch again. Models what fork() and the
 * syscall entry (arch/x86/entry) mean for sim: a process with its pid, its comm and its own call path.
 */
import { SimError, show } from '../errors/sim-error.ts';
import type { KernelImpl } from './kernel-impl.ts';
import {
  type Chooser,
  KERNEL_FOOTPRINT,
  runToBlock,
  type Sleepable,
  SWITCH_SYSCALL,
  type Task,
  type TaskRunResult,
  YIELD_BLOCK,
  YIELD_SWITCH,
  type Yield,
} from './sched.ts';

/** The system calls a task makes, each a sleepable path: `const fd = yield* sys.open('/dev/vfio/7')`. */
export interface TaskSyscalls {
  /** The task's pid and comm (as dmesg and the hung-task report name it). */
  readonly pid: number;
  readonly comm: string;
  /** write(2) to a sysfs file: the bytes written or a negative errno; null if the kernel died. */
  write(path: string, text: string): Sleepable<number | null>;
  /** read(2) of a sysfs file: its text or a negative errno. */
  read(path: string): Sleepable<string | number>;
  /** open(2) of a /dev node: a file descriptor or a negative errno; null if the kernel died. */
  open(path: string): Sleepable<number | null>;
  /** ioctl(2) with a command name. */
  ioctl(fd: number, cmd: string, arg?: unknown): Sleepable<number | null>;
  /** close(2). */
  close(fd: number): Sleepable<number | null>;
  /** nanosleep(2): the task sleeps `ms` of simulated time. */
  sleep(ms: number): Sleepable<void>;
}

/** A task of a run: a name (unique in the run), its comm, and its body (a generator function). */
export interface TaskSpec {
  readonly name: string;
  /** The process name dmesg shows (default: the task's name, cut to 15 characters as TASK_COMM_LEN does). */
  readonly comm?: string;
  /** What the task does: `function* (sys) { yield* sys.write(...) }`; its return value is the task's result. */
  run(sys: TaskSyscalls): Generator<unknown, unknown, boolean>;
}

export interface RunTasksOptions {
  /** Who runs at each switch point (default: no preemption, the first task that can run). */
  readonly choose?: Chooser;
}

/** How a run ended: each task's result, the transitions (one per switch point), the tasks reported hung. */
export interface TaskRunReport extends TaskRunResult {
  /** Each task's result by name (undefined for one that did not finish). */
  readonly results: Readonly<Record<string, unknown>>;
}

/** TASK_COMM_LEN - 1. */
const COMM_MAX = 15;

/** Runs tasks on the kernel (kernel.runTasks()). */
export function runTasks(k: KernelImpl, specs: readonly TaskSpec[], options?: RunTasksOptions): TaskRunReport {
  k.checkUsable();
  if (k.sched.multi) {
    throw new SimError(
      'SIM_ERR_TASK_BAD_SPEC',
      'runTasks() was called from inside a task run; run tasks one run at a time',
    );
  }
  if (!Array.isArray(specs) || specs.length === 0) {
    throw new SimError(
      'SIM_ERR_TASK_BAD_SPEC',
      `runTasks() takes a non-empty array of tasks such as [{ name: 'a', *run(sys) { yield* sys.write(path, text) } }], got ${show(specs)}`,
    );
  }
  const seen = new Set<string>();
  for (const [i, spec] of specs.entries()) {
    const s = spec as Partial<TaskSpec> | null;
    if (
      typeof s !== 'object' ||
      s === null ||
      typeof s.name !== 'string' ||
      s.name === '' ||
      typeof s.run !== 'function'
    ) {
      throw new SimError(
        'SIM_ERR_TASK_BAD_SPEC',
        `runTasks(): task ${i} must be { name, run } with a non-empty name and a generator function, got ${show(spec)}`,
      );
    }
    if (s.comm !== undefined && (typeof s.comm !== 'string' || s.comm === '')) {
      throw new SimError(
        'SIM_ERR_TASK_BAD_SPEC',
        `runTasks(): task '${s.name}' has comm ${show(s.comm)}; give a non-empty string`,
      );
    }
    if (seen.has(s.name) || s.name === 'kworker/0:1') {
      throw new SimError(
        'SIM_ERR_TASK_BAD_SPEC',
        `runTasks(): two tasks are named '${s.name}'; give each task its own name`,
      );
    }
    seen.add(s.name);
  }
  const choose = options?.choose ?? runToBlock;
  if (typeof choose !== 'function') {
    throw new SimError(
      'SIM_ERR_TASK_BAD_SPEC',
      `runTasks(): choose must be a function (point) => task name, got ${show(choose)}`,
    );
  }
  const tasks: Task[] = specs.map((spec) => {
    const t = k.sched.task(spec.name, (spec.comm ?? spec.name).slice(0, COMM_MAX), null);
    const body = spec.run.call(spec, syscalls(k, t));
    if (typeof body !== 'object' || body === null || typeof (body as Generator).next !== 'function') {
      throw new SimError(
        'SIM_ERR_TASK_BAD_SPEC',
        `runTasks(): task '${spec.name}': run() must be a generator function (function* (sys) { ... }), it returned ${show(body)}`,
      );
    }
    t.body = taskBody(body as Generator<unknown, unknown, boolean>);
    return t;
  });
  const result = k.runTaskBodies(tasks, (p) => {
    const pick = choose(p);
    if (pick !== null && !p.enabled.includes(pick as string)) {
      throw new SimError(
        'SIM_ERR_TASK_BAD_SPEC',
        `runTasks(): the chooser picked ${show(pick)}, which cannot run now; pick one of ${p.enabled.join(', ')} (or null to give up)`,
      );
    }
    return pick;
  });
  const results: Record<string, unknown> = Object.create(null);
  for (const t of tasks) results[t.name] = t.result;
  return { ...result, results };
}

/** True for what the scheduler takes: a switch point or a block. */
function isYield(y: unknown): y is Yield {
  if (typeof y !== 'object' || y === null) return false;
  const kind = (y as { kind?: unknown }).kind;
  if (kind === YIELD_SWITCH) return true;
  return kind === YIELD_BLOCK && typeof (y as { on?: { ready?: unknown } }).on?.ready === 'function';
}

/** A user body as a task body: what it yields goes to the scheduler (it must come from sys.* through yield*). */
function* taskBody(body: Generator<unknown, unknown, boolean>): Sleepable<unknown> {
  let done = false;
  try {
    let r = body.next(true);
    for (;;) {
      if (r.done === true) {
        done = true;
        return r.value;
      }
      const y = r.value;
      if (!isYield(y)) {
        throw new SimError(
          'SIM_ERR_TASK_BAD_SPEC',
          `a task yielded ${show(y)} itself; delegate to the system calls with yield* (yield* sys.write(path, text))`,
        );
      }
      let resumed: boolean;
      try {
        resumed = yield y;
      } catch (e) {
        // A hung task's Deadlock goes to the system call that blocked, inside the body.
        r = body.throw(e);
        continue;
      }
      r = body.next(resumed);
    }
  } finally {
    if (!done) body.return(undefined);
  }
}

/** The system calls of task `t`. */
function syscalls(k: KernelImpl, t: Task): TaskSyscalls {
  return {
    pid: t.pid,
    comm: t.comm,
    *write(path, text) {
      yield SWITCH_SYSCALL;
      return yield* k.sysRoot.writeGen(path, text);
    },
    *read(path) {
      yield SWITCH_SYSCALL;
      k.sched.touch(KERNEL_FOOTPRINT);
      return k.sysfs.read(path);
    },
    *open(path) {
      yield SWITCH_SYSCALL;
      return yield* k.devfsImpl.openGen(path);
    },
    *ioctl(fd, cmd, arg) {
      yield SWITCH_SYSCALL;
      return yield* k.devfsImpl.ioctlGen(fd, cmd, arg);
    },
    *close(fd) {
      yield SWITCH_SYSCALL;
      return yield* k.devfsImpl.closeGen(fd);
    },
    *sleep(ms) {
      yield SWITCH_SYSCALL;
      yield* k.msleep(ms);
    },
  };
}
