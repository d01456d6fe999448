// A toy system for the explorer's tests and bench: tasks run lists of steps over shared variables and locks, with
// a switch point before every step. Written as plain JavaScript so that worker threads can load it without a
// TypeScript loader.
//
// Steps: { op: 'read', v } (remember v), { op: 'writeInc', v } (write remembered value + 1),
// { op: 'add', v, n } (atomic add), { op: 'set', v, value }, { op: 'lock', l }, { op: 'unlock', l },
// { op: 'local' } (touches nothing shared), { op: 'spawn', task } (starts a task listed in `later`, which cannot
// run before), { op: 'spawnIf', task, v, value } (starts it only if v equals value). A task whose next step is a lock held by another task is not
// enabled; when no task is enabled and some have steps left, the execution ends in a deadlock.

/** Named programs with known answers. */
export const PROGRAMS = {
  /** Two tasks read x then write x + 1: with an unlucky order one increment is lost (x = 1). */
  'lost-update': {
    tasks: {
      A: [
        { op: 'read', v: 'x' },
        { op: 'writeInc', v: 'x' },
      ],
      B: [
        { op: 'read', v: 'x' },
        { op: 'writeInc', v: 'x' },
      ],
    },
  },
  /** The same under a lock: x = 2 always. */
  'locked-update': {
    tasks: {
      A: [
        { op: 'lock', l: 'm' },
        { op: 'read', v: 'x' },
        { op: 'writeInc', v: 'x' },
        { op: 'unlock', l: 'm' },
      ],
      B: [
        { op: 'lock', l: 'm' },
        { op: 'read', v: 'x' },
        { op: 'writeInc', v: 'x' },
        { op: 'unlock', l: 'm' },
      ],
    },
  },
  /** Two locks taken in opposite orders (ABBA): some schedules deadlock. */
  abba: {
    tasks: {
      A: [
        { op: 'lock', l: 'L1' },
        { op: 'lock', l: 'L2' },
        { op: 'unlock', l: 'L2' },
        { op: 'unlock', l: 'L1' },
      ],
      B: [
        { op: 'lock', l: 'L2' },
        { op: 'lock', l: 'L1' },
        { op: 'unlock', l: 'L1' },
        { op: 'unlock', l: 'L2' },
      ],
    },
  },
};

/** A program of `tasks` tasks with `steps` steps each, every task on its own variable: all independent. */
export function independent(tasks, steps) {
  const out = {};
  for (let t = 0; t < tasks; t++) out[`T${t}`] = Array.from({ length: steps }, () => ({ op: 'add', v: `v${t}`, n: 1 }));
  return { tasks: out };
}

let sink = 0;
/** Busy work standing for what a real step costs (the bench's `work` argument). */
function spin(n) {
  let x = sink;
  for (let i = 0; i < n; i++) x = (x * 31 + i) | 0;
  sink = x;
}

/**
 * The system for `args`: { program: name } for one of PROGRAMS, { independent: [tasks, steps] }, or
 * { tasks: { name: steps[] } } for a program given in full; with `work: n` each step also spins n iterations.
 */
export function createSystem(args) {
  const work = args && Number.isInteger(args.work) ? args.work : 0;
  const program =
    args && typeof args.program === 'string'
      ? PROGRAMS[args.program]
      : args && Array.isArray(args.independent)
        ? independent(args.independent[0], args.independent[1])
        : args;
  if (!program || typeof program.tasks !== 'object')
    throw new Error(`toy program: unknown args ${JSON.stringify(args)}`);
  const names = Object.keys(program.tasks);
  const steps = (n) => (Object.hasOwn(program.tasks, n) ? program.tasks[n] : []);
  return {
    run(choose) {
      // Null-prototype records: task, variable and lock names may be __proto__ or constructor.
      const vars = Object.create(null);
      const locks = Object.create(null);
      const regs = Object.create(null);
      const pc = Object.create(null);
      for (const n of names) pc[n] = 0;
      const started = new Set(names.filter((n) => !(program.later ?? []).includes(n)));
      const transitions = [];
      let current = null;
      const next = (n) => steps(n)[pc[n]];
      const canRun = (n) => {
        const s = next(n);
        return started.has(n) && s !== undefined && (s.op !== 'lock' || locks[s.l] === undefined);
      };
      for (;;) {
        const enabled = names.filter(canRun);
        if (enabled.length === 0) break;
        const task = choose({ enabled, current });
        if (task === null) return { transitions, outcome: { vars, deadlock: null }, aborted: true };
        const s = next(task);
        let footprint;
        switch (s.op) {
          case 'read':
            regs[task] = vars[s.v] ?? 0;
            footprint = [s.v];
            break;
          case 'writeInc':
            vars[s.v] = (regs[task] ?? 0) + 1;
            footprint = [s.v];
            break;
          case 'add':
            vars[s.v] = (vars[s.v] ?? 0) + s.n;
            footprint = [s.v];
            break;
          case 'set':
            vars[s.v] = s.value;
            footprint = [s.v];
            break;
          case 'lock':
            locks[s.l] = task;
            footprint = [`lock:${s.l}`];
            break;
          case 'unlock':
            delete locks[s.l];
            footprint = [`lock:${s.l}`];
            break;
          case 'local':
            footprint = [];
            break;
          case 'spawn':
            started.add(s.task);
            footprint = [`task:${s.task}`];
            break;
          case 'spawnIf':
            if ((vars[s.v] ?? 0) === s.value) started.add(s.task);
            footprint = [s.v, `task:${s.task}`];
            break;
          default:
            throw new Error(`toy program: unknown op ${JSON.stringify(s.op)}`);
        }
        if (work > 0) spin(work);
        pc[task]++;
        transitions.push({ task, footprint });
        current = task;
      }
      const stuck = names.filter((n) => started.has(n) && next(n) !== undefined);
      const deadlock =
        stuck.length === 0 ? null : stuck.map((n) => `${n} waits for ${next(n).l} held by ${locks[next(n).l]}`);
      return { transitions, outcome: { vars, deadlock }, aborted: false };
    },
    classify(outcome) {
      const vars = Object.keys(outcome.vars)
        .sort()
        .map((k) => `${k}=${outcome.vars[k]}`)
        .join(' ');
      return outcome.deadlock ? `deadlock: ${outcome.deadlock.join('; ')}` : vars || '(no variables)';
    },
  };
}
