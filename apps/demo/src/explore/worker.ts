/**
 * The explorer's worker thread (bundled as dist/explore-worker.js). It builds its own system from the module and
 * args it is started with, then explores the batches of units the parent posts, replying as each unit finishes
 * with its result or with what it threw.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { describeThrown } from '@sim/core';
import { loadSystem } from './load.ts';
import { type PctUnit, pctUnit } from './pct.ts';
import type { UnitReply, UnitRequest, WorkerSetup } from './protocol.ts';
import { exploreUnit, type Unit } from './systematic.ts';

const port = parentPort;
if (port) {
  const setup = workerData as WorkerSetup;
  const system = loadSystem(setup.module, setup.args);
  system.catch(() => undefined); // reported with the first unit
  port.on('message', async (msg: UnitRequest) => {
    for (const unit of msg.units) {
      const index = unit.index;
      let reply: UnitReply;
      try {
        const s = await system;
        reply =
          setup.job.kind === 'systematic'
            ? { index, result: exploreUnit(s, unit as Unit, setup.job.settings) }
            : { index, result: pctUnit(s, setup.job.plan, unit as PctUnit) };
      } catch (e) {
        reply = { index, error: describeThrown(e) };
      }
      port.postMessage(reply);
      if ('error' in reply) return;
    }
  });
}
