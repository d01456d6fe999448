import { Worker } from 'node:worker_threads';
import { exploreError } from './errors.ts';
import type { UnitReply, WorkerSetup } from './protocol.ts';

let live = 0;

/** Worker threads started by runOnWorkers() that have not exited yet (0 whenever no exploration is running). */
export function liveWorkers(): number {
  return live;
}

/**
 * Explores `units` on `count` worker threads, each built from `setup`, handing out units in order as workers
 * free up. Results come back by unit index, so their order does not depend on which worker finished first. A
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
    for (let w = 0; w < n; w++) {
      let current: U | null = null;
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
      const give = (): void => {
        if (next >= units.length) {
          current = null;
          return;
        }
        current = units[next++] as U;
        worker.postMessage({ unit: current });
      };
      worker.on('message', (reply: UnitReply) => {
        if (settled) return;
        if ('error' in reply) {
          fail(w, current, `threw: ${reply.error}`);
          return;
        }
        results[reply.index] = reply.result as R;
        finished++;
        if (finished === units.length) settle(null);
        else give();
      });
      worker.on('error', (e) => fail(w, current, `threw: ${e instanceof Error ? e.message : String(e)}`));
      worker.on('messageerror', (e) => fail(w, current, `sent a message that cannot be read: ${e.message}`));
      worker.on('exit', (code) => {
        live--;
        if (!settled) fail(w, current, `exited with code ${code}`);
      });
      give();
    }
  });
}
