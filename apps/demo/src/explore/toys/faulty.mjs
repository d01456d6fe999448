// Systems that misbehave, for the worker-failure tests. args.fail: 'throw' (run() throws when the schedule starts
// with args.at), 'exit' (the worker thread exits there), 'create' (createSystem throws in a worker thread, not in
// the main thread).
import { isMainThread } from 'node:worker_threads';
import { createSystem as toy } from './program.mjs';

export function createSystem(args) {
  if (args.fail === 'create' && !isMainThread) throw new Error('createSystem refuses');
  const inner = toy({ program: 'lost-update' });
  return {
    run(choose) {
      const first = [];
      return inner.run((p) => {
        const c = choose(p);
        if (c !== null) first.push(c);
        if (first.length === args.at.length && first.every((t, i) => t === args.at[i])) {
          if (args.fail === 'throw') throw new Error(`faulty system: schedule ${first.join(' ')}`);
          if (args.fail === 'exit') process.exit(7);
        }
        return c;
      });
    },
    classify: (o) => inner.classify(o),
  };
}
