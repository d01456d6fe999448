import { Worker } from 'node:worker_threads';
import { exploreError } from './errors.ts';
import type { UnitReply, WorkerSetup } from './protocol.ts';

let live = 0;

/** Worker threads started by runOnWorkers() that have not exited yet (0 whenever no exploration is running). */
export function liveWorkers(): number {
  return live;
}

/**
 * Explores `units` on `count` worker threads, each built from `setup`, handing out batches of units in order as
 * workers free up (about four batches per worker, to share the load at little messaging cost). Results come back by unit index, so their order does not depend on which worker finished first. A
 * worker that throws, exits or reports an error fails the whole exploration with an error naming the unit; every
 * worker is terminated before the promise settles, on success and on failure.
 */
export function runOnWorkers<U extends { readonly index: number }, R>(
  workerUrl: URL,
  setup: WorkerSetup,
  units: readonly U[],
  count: number,
  describe: (unit: U) => string,
): Promise<R[]> {
  const results: R[] = new Array(units.length);
  if (units.length === 0) return Promise.resolve(results);
  const workers: Worker[] = [];
  return new Promise<R[]>((resolve, reject) => {
    let next = 0;
    let finished = 0;
    let settled = false;
    const settle = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      void Promise.allSettled(workers.map((w) => w.terminate())).then(() => (error ? reject(error) : resolve(results)));
    };
    const fail = (w: number, unit: U | null, what: string): void =>
      settle(
        exploreError(
          'SIM_ERR_EXPLORE_WORKER',
          `explorer worker ${w}, ${unit ? `exploring unit ${describe(unit)}` : 'before it took a unit'}, ${what}`,
        ),
      );
    const n = Math.min(count, units.length);
    const batch = Math.max(1, Math.ceil(units.length / (n * 4)));
    for (let w = 0; w < n; w++) {
      /** The units given to this worker and not reported yet, in order: the first is the one being explored. */
      let pending: U[] = [];
      let worker: Worker;
      try {
        worker = new Worker(workerUrl, { workerData: setup });
      } catch (e) {
        settle(
          exploreError(
            'SIM_ERR_EXPLORE_WORKER',
            `explorer worker ${w} could not start from ${workerUrl.href}: ${e instanceof Error ? e.message : String(e)}`,
          ),
        );
        return;
      }
      workers.push(worker);
      live++;
      const current = (): U | null => pending[0] ?? null;
      const give = (): void => {
        pending = units.slice(next, next + batch) as U[];
        next += pending.length;
        if (pending.length > 0) worker.postMessage({ units: pending });
      };
      worker.on('message', (reply: UnitReply) => {
        if (settled) return;
        const unit = pending.find((u) => u.index === reply.index) ?? null;
        if ('error' in reply) {
          fail(w, unit, `threw: ${reply.error}`);
          return;
        }
        pending = pending.filter((u) => u !== unit);
        results[reply.index] = reply.result as R;
        finished++;
        if (finished === units.length) settle(null);
        else if (pending.length === 0) give();
      });
      worker.on('error', (e) => fail(w, current(), `threw: ${e instanceof Error ? e.message : String(e)}`));
      worker.on('messageerror', (e) => fail(w, current(), `sent a message that cannot be read: ${e.message}`));
      worker.on('exit', (code) => {
        live--;
        if (!settled) fail(w, current(), `exited with code ${code}`);
      });
      give();
    }
  });
}
