/**
 * The scheduler: tasks, the points where the running task may change, and the waits that suspend a task. Models
 * what schedule() (kernel/sched/core.c) means for sim: one CPU, tasks that run until they sleep or reach a switch
 * point, and a choice (deterministic, or the explorer's) of who runs next.
 *
 * Kernel code that may sleep is written as a generator (`Sleepable<T>`): it yields a switch point (a syscall
 * boundary, a lock about to be taken) or a block (a lock held by another task, a wait_event() condition not yet
 * true, a sleep), and is resumed with `true` (woken) or `false` (the wait's timeout passed). Outside a task run the
 * kernel has one task (pid 1, `sim`) and runs every operation to completion: a switch point costs nothing, a block
 * can only end by its timeout, and a block nothing can end is a hung task (see docs/decisions/2026-12-02-tasks.md).
 */

/** A switch point: the running task may be preempted here (it stays runnable). */
export const YIELD_SWITCH = 0;
/** A block: the task cannot go on until its waiter is ready (or its timeout passes). */
export const YIELD_BLOCK = 1;

/** What a blocked task waits for. */
export interface Waiter {
  /** True once the task can go on (a lock free, a condition true). Never throws. */
  ready(): boolean;
  /** For reports: what is waited for, e.g. `device_lock(0000:01:00.0)`. */
  readonly what: string;
  /** The task holding what this waits for (a lock's owner), for the hung-task report; null when none. */
  holder(): Task | null;
}

export interface SwitchYield {
  readonly kind: typeof YIELD_SWITCH;
  /** Why the task may switch here: `syscall`, `lock`, `work`. */
  readonly why: string;
}

export interface BlockYield {
  readonly kind: typeof YIELD_BLOCK;
  readonly on: Waiter;
  /** Nanoseconds of simulated time after which the task resumes with `false`; Infinity for none. */
  readonly timeout: number;
  /** The task is in an interruptible sleep (TASK_INTERRUPTIBLE). */
  readonly interruptible: boolean;
}

export type Yield = SwitchYield | BlockYield;

/** A kernel path that may sleep: yields to the scheduler, is resumed with true (woken) or false (timed out). */
export type Sleepable<T> = Generator<Yield, T, boolean>;

/** The switch point before a system call. */
export const SWITCH_SYSCALL: SwitchYield = Object.freeze({ kind: YIELD_SWITCH, why: 'syscall' });
/** The switch point before a lock is taken. */
export const SWITCH_LOCK: SwitchYield = Object.freeze({ kind: YIELD_SWITCH, why: 'lock' });

/** %GeneratorPrototype%: what every generator object inherits from, through its function's prototype. */
const GENERATOR_PROTOTYPE: object = Object.getPrototypeOf(Object.getPrototypeOf((function* () {})()));

/**
 * True for a generator object (a sleepable path) rather than a plain value. Two prototype loads, no property
 * lookup: each generator function has a prototype of its own, which would make `x.next` megamorphic on hot paths.
 */
export function isSleepable(x: unknown): x is Sleepable<unknown> {
  if (typeof x !== 'object' || x === null) return false;
  const own = Object.getPrototypeOf(x);
  return own !== null && Object.getPrototypeOf(own) === GENERATOR_PROTOTYPE;
}

/** A task's scheduling state. */
export type TaskState = 'runnable' | 'blocked' | 'done';

/** A task (struct task_struct): a userspace process or a kernel worker. */
export class Task {
  state: TaskState = 'runnable';
  /** What the task is blocked on (state 'blocked'). */
  waiting: BlockYield | null = null;
  /** When the blocked task's timeout passes (simulated ns); Infinity for none. */
  deadline = Number.POSITIVE_INFINITY;
  /** What the task is resumed with: true woken, false timed out. */
  resume = true;
  /** The simulated call path, outermost first; an operation's frames. */
  stack: string[] = [];
  opDepth = 0;
  opFrames: number[] = [];
  opDetails: string[] = [];
  /** The device locks this task holds, in the order taken (for the hung-task report). */
  readonly held: string[] = [];
  /** The body's result once done. */
  result: unknown = undefined;
  /** True for a kernel worker that sleeps when idle (an idle worker is not a hung task). */
  readonly worker: boolean;
  /** What the worker waits on when it has nothing to do. */
  idle: Waiter | null = null;

  constructor(
    readonly name: string,
    readonly pid: number,
    readonly comm: string,
    public body: Sleepable<unknown> | null,
    worker = false,
  ) {
    this.worker = worker;
  }
}

/** A point where the scheduler picks the next task. */
export interface SwitchPoint {
  /** The tasks that can run, in task order. */
  readonly enabled: readonly string[];
  /** The task that ran last (null at the start). */
  readonly current: string | null;
}

/** What the chosen task did from one switch point to the next. */
export interface Transition {
  readonly task: string;
  /** The objects it touched; null when unknown (dependent on every other transition). */
  readonly footprint: readonly string[] | null;
}

/** The hung-task timeout (kernel/hung_task.c's default, CONFIG_DEFAULT_HUNG_TASK_TIMEOUT = 120 s), in ns. */
export const HUNG_TASK_TIMEOUT_NS = 120_000_000_000;

/** Simulated nanoseconds per second. */
export const NS_PER_SEC = 1_000_000_000;

/** What the scheduler needs from the kernel it schedules. */
export interface SchedHost {
  /** Makes `t` the running task (its call path becomes the kernel's). */
  switchTo(t: Task): void;
  /** The simulated clock, in ns. */
  now(): number;
  /** Moves the clock forward to `ns`. */
  advanceTo(ns: number): void;
  /** Prints the hung-task report for these blocked tasks (and traces it). */
  reportHung(blocked: readonly Task[], since: number): void;
  /** True once the kernel died: nothing more runs. */
  dead(): boolean;
  /** The Deadlock thrown into a hung task (its operation ends with -EDEADLK). */
  deadlock(what: string): Error;
  /** True while the running task is inside an operation (a system call or the worker's item). */
  inKernel(): boolean;
}

/** How a task run ended. */
export interface TaskRunResult {
  /** The chooser gave up (returned null) before every task was done. */
  readonly aborted: boolean;
  /** What each chosen task did, one per switch point. */
  readonly transitions: readonly Transition[];
  /** Tasks reported hung (their blocked operation ended with -EDEADLK), in the order reported. */
  readonly hung: readonly string[];
}

/** Picks the next task at a switch point: one of `p.enabled`, or null to abandon the run. */
export type Chooser = (p: SwitchPoint) => string | null;

/** The default chooser: no preemption (the task that ran last, while it can), else the first that can run. */
export const runToBlock: Chooser = (p) =>
  p.current !== null && p.enabled.includes(p.current) ? p.current : (p.enabled[0] ?? null);

/** The one CPU's scheduler: the direct mode (one task, operations to completion) and task runs. */
export class Scheduler {
  /** pid 1, `sim`: the task of every operation made outside a task run. */
  readonly init = new Task('sim', 1, 'sim', null);
  /** The running task. */
  current: Task = this.init;
  /** True while a task run is in progress: switch points yield to the scheduler. */
  multi = false;
  /** The objects touched by the running transition (recorded during a task run only). */
  private footprint: Set<string> | null = null;
  /** The owners of device locks held during a task run (outside one, the only owner is `init`). */
  readonly lockOwners = new Map<object, Task>();
  /** When some task last made progress (an operation began or ended, a wait's condition came true). */
  lastProgress = 0;
  private nextPid = 2;

  constructor(private readonly host: SchedHost) {}

  /** A new task with its body (not started). */
  task(name: string, comm: string, body: Sleepable<unknown> | null, worker = false): Task {
    return new Task(name, this.nextPid++, comm, body, worker);
  }

  /** Records that the running transition touched `key` (a no-op outside a task run). */
  touch(key: string): void {
    if (this.footprint !== null) this.footprint.add(key);
  }

  /** Notes progress: a wait that began now counts its hung-task time from here. */
  progress(): void {
    this.lastProgress = this.host.now();
  }

  /**
   * Runs a sleepable path to completion as the running task, with nobody else to run: switch points go on at once;
   * a block ends when its waiter is ready, else by its timeout (the clock moves on) while the hung-task window
   * lasts, else as a hung task (the Deadlock thrown into the path, which ends its operation with -EDEADLK).
   */
  runDirect<T>(g: Sleepable<T>): T {
    let r = g.next(true);
    while (r.done !== true) {
      const y = r.value;
      if (y.kind === YIELD_SWITCH || y.on.ready()) {
        r = g.next(true);
        continue;
      }
      const at = this.host.now() + y.timeout;
      if (at <= this.lastProgress + HUNG_TASK_TIMEOUT_NS) {
        this.host.advanceTo(at);
        r = g.next(false);
        continue;
      }
      const task = this.current;
      task.waiting = y;
      this.host.advanceTo(Math.max(this.host.now(), this.lastProgress + HUNG_TASK_TIMEOUT_NS));
      this.host.reportHung([task], this.lastProgress);
      task.waiting = null;
      this.progress();
      r = g.throw(this.host.deadlock(y.on.what));
    }
    return r.value;
  }

  /**
   * Runs tasks until each is done (a worker idle counts as done), asking `choose` at every switch point. When no
   * task can run, the clock moves to the earliest timeout within the hung-task window; past it, every blocked task
   * is reported hung and its operation ends with -EDEADLK. A dead kernel ends the run.
   */
  run(tasks: readonly Task[], worker: Task | null, choose: Chooser): TaskRunResult {
    if (this.multi) throw new Error('a task run is already in progress');
    const all = worker === null ? [...tasks] : [...tasks, worker];
    const transitions: Transition[] = [];
    const hung: string[] = [];
    const thrown = new Map<Task, Error>();
    let aborted = false;
    let last: Task | null = null;
    this.multi = true;
    this.footprint = new Set();
    try {
      for (;;) {
        if (this.host.dead()) break;
        const enabled: Task[] = [];
        for (const t of all) {
          if (t.state === 'blocked' && t.waiting!.on.ready()) {
            wake(t, true);
            if (!t.worker) this.progress();
          }
          if (t.state === 'runnable') enabled.push(t);
        }
        if (enabled.length === 0) {
          const blocked = all.filter((t) => t.state === 'blocked' && t.waiting!.on !== t.idle);
          if (blocked.length === 0) break;
          let first: Task | null = null;
          for (const t of blocked) if (first === null || t.deadline < first.deadline) first = t;
          if (first!.deadline <= this.lastProgress + HUNG_TASK_TIMEOUT_NS) {
            this.host.advanceTo(Math.max(this.host.now(), first!.deadline));
            wake(first!, false);
            continue;
          }
          this.host.advanceTo(Math.max(this.host.now(), this.lastProgress + HUNG_TASK_TIMEOUT_NS));
          this.host.reportHung(blocked, this.lastProgress);
          for (const t of blocked) {
            hung.push(t.name);
            thrown.set(t, this.host.deadlock(t.waiting!.on.what));
            wake(t, false);
          }
          this.progress();
          continue;
        }
        const names = enabled.map((t) => t.name);
        const pick = choose({ enabled: names, current: last === null ? null : last.name });
        if (pick === null) {
          aborted = true;
          break;
        }
        const t = enabled[names.indexOf(pick)];
        if (t === undefined) {
          throw new Error(`the chooser picked ${JSON.stringify(pick)}, which cannot run; enabled: ${names.join(', ')}`);
        }
        this.current = t;
        this.host.switchTo(t);
        this.footprint.clear();
        // A step that resumes inside the kernel (after a lock or a wait) or stops inside it touches kernel state,
        // whatever it did; one that enters an operation and leaves it touches it through opBegin().
        if (this.host.inKernel()) this.footprint.add(KERNEL_FOOTPRINT);
        const err = thrown.get(t);
        let r: IteratorResult<Yield, unknown>;
        if (err !== undefined) {
          thrown.delete(t);
          r = t.body!.throw(err);
        } else {
          r = t.body!.next(t.resume);
        }
        if (this.host.inKernel()) this.footprint.add(KERNEL_FOOTPRINT);
        transitions.push({ task: t.name, footprint: [...this.footprint].sort() });
        last = t;
        if (r.done === true) {
          t.state = 'done';
          t.result = r.value;
        } else if (r.value.kind === YIELD_BLOCK) {
          t.state = 'blocked';
          t.waiting = r.value;
          t.deadline = r.value.timeout === Infinity ? Infinity : this.host.now() + r.value.timeout;
        }
      }
    } finally {
      this.multi = false;
      this.footprint = null;
      this.current = this.init;
      this.host.switchTo(this.init);
      this.lockOwners.clear();
    }
    return { aborted, transitions, hung };
  }
}

/** Makes a blocked task runnable again, resumed with `resume` (true woken, false timed out). */
function wake(t: Task, resume: boolean): void {
  t.state = 'runnable';
  t.resume = resume;
  t.waiting = null;
  t.deadline = Number.POSITIVE_INFINITY;
}

/** A sleepable path that returns nothing, as one that returns 0 (an operation's result). */
export function* zeroAfter(path: Sleepable<unknown>): Sleepable<number> {
  yield* path;
  return 0;
}

/** A value or a sleepable path, as a sleepable path (for callers that delegate with `yield*`). */
export function* asSleepable<T>(r: T | Sleepable<T>): Sleepable<T> {
  return isSleepable(r) ? ((yield* r) as T) : (r as T);
}

/** The footprint every transition that enters the kernel records (see docs/decisions/2026-12-02-tasks.md). */
export const KERNEL_FOOTPRINT = 'kernel';
