import { availableParallelism } from 'node:os';
import { checkedSystem, loadSystem, moduleSpecifier } from './load.ts';
import { type PctSettings, pctSettings, type SystematicSettings, systematicSettings, workerCount } from './options.ts';
import {
  mergePct,
  type PctPlan,
  type PctUnit,
  type PctUnitResult,
  pctGuarantee,
  pctUnit,
  pctUnits,
  planPct,
} from './pct.ts';
import { runOnWorkers } from './pool.ts';
import type { WorkerSetup } from './protocol.ts';
import {
  autoFrontier,
  exploreUnit,
  type Frontier,
  frontier,
  mergeSystematic,
  type SearchSettings,
  type Unit,
  type UnitResult,
} from './systematic.ts';
import type {
  ExploredSystem,
  PctOptions,
  PctReport,
  SystematicOptions,
  SystematicReport,
  SystemSpec,
} from './types.ts';

function searchSettings(s: SystematicSettings): SearchSettings {
  return { bound: s.bound, sleepSets: s.sleepSets, maxSteps: s.maxSteps, limit: s.limit };
}

function systematicReport(s: SystematicSettings, f: Frontier, results: readonly UnitResult[]): SystematicReport {
  return {
    mode: 'systematic',
    preemptionBound: s.bound === Number.POSITIVE_INFINITY ? null : s.bound,
    sleepSets: s.sleepSets,
    limit: s.limit,
    ...mergeSystematic(f, results, searchSettings(s)),
  };
}

function pctReport(s: PctSettings, plan: PctPlan, results: readonly PctUnitResult[]): PctReport {
  const n = plan.tasks.length;
  const { perRun, overall } = pctGuarantee(n, plan.steps, s.depth, s.runs);
  const merged = mergePct(results);
  return {
    mode: 'pct',
    seed: s.seed,
    runs: s.runs,
    depth: s.depth,
    tasks: n,
    steps: plan.steps,
    perRunProbability: perRun,
    overallProbability: overall,
    executions: merged.executions,
    depthCuts: merged.depthCuts,
    classes: merged.classes,
  };
}

/**
 * Systematic mode in this thread: depth-first over the schedules, re-executing from the start for each, with
 * preemption bounding and sleep sets. The search is split into the same units the workers would get, so the
 * report is the one explore() gives for any worker count.
 */
export function exploreSystematic<O>(system: ExploredSystem<O>, options?: SystematicOptions): SystematicReport {
  const s = systematicSettings(options);
  checkedSystem(system, 'exploreSystematic()');
  const settings = searchSettings(s);
  const f = s.splitDepth === null ? autoFrontier(system, settings) : frontier(system, settings, s.splitDepth);
  return systematicReport(
    s,
    f,
    f.units.map((u) => exploreUnit(system, u, settings)),
  );
}

/** PCT in this thread: the runs explore() would split across workers, run in order. */
export function explorePct<O>(system: ExploredSystem<O>, options?: PctOptions): PctReport {
  const s = pctSettings(options);
  checkedSystem(system, 'explorePct()');
  const plan = planPct(system, s);
  return pctReport(
    s,
    plan,
    pctUnits(s.runs).map((u) => pctUnit(system, plan, u)),
  );
}

export interface ExploreOptions {
  /** Worker threads; 0 explores in this thread. Default: the machine's available parallelism. */
  readonly workers?: number;
  /** The worker entry (dist/explore-worker.js); by default the file beside this module's bundle. */
  readonly workerUrl?: URL;
}

function defaultWorkerUrl(): URL {
  return new URL('./explore-worker.js', import.meta.url);
}

/**
 * Systematic mode on worker threads: the parent builds the system from `spec`, splits the search into units
 * (prefixes at the split depth, in depth-first order), the workers build their own systems and search the units,
 * and the results are merged in depth-first order: the report is byte-identical whatever the worker count.
 */
export async function exploreSystematicOnWorkers(
  spec: SystemSpec,
  options?: SystematicOptions & ExploreOptions,
): Promise<SystematicReport> {
  const { workers, workerUrl, ...rest } = options ?? {};
  const count = workerCount(workers, availableParallelism());
  const s = systematicSettings(rest);
  const module = moduleSpecifier(spec);
  const system = await loadSystem(module, spec.args);
  const settings = searchSettings(s);
  const f = s.splitDepth === null ? autoFrontier(system, settings) : frontier(system, settings, s.splitDepth);
  const results =
    count === 0
      ? f.units.map((u) => exploreUnit(system, u, settings))
      : await runOnWorkers<Unit, UnitResult>(
          workerUrl ?? defaultWorkerUrl(),
          { module, args: spec.args, job: { kind: 'systematic', settings } } satisfies WorkerSetup,
          f.units,
          count,
          (u) => `#${u.index} (schedule prefix ${JSON.stringify(u.prefix)})`,
        );
  return systematicReport(s, f, results);
}

/** PCT on worker threads: run indexes are split in fixed slices; run i depends on (seed, i) alone. */
export async function explorePctOnWorkers(spec: SystemSpec, options?: PctOptions & ExploreOptions): Promise<PctReport> {
  const { workers, workerUrl, ...rest } = options ?? {};
  const count = workerCount(workers, availableParallelism());
  const s = pctSettings(rest);
  const module = moduleSpecifier(spec);
  const system = await loadSystem(module, spec.args);
  const plan = planPct(system, s);
  const units = pctUnits(s.runs);
  const results =
    count === 0
      ? units.map((u) => pctUnit(system, plan, u))
      : await runOnWorkers<PctUnit, PctUnitResult>(
          workerUrl ?? defaultWorkerUrl(),
          { module, args: spec.args, job: { kind: 'pct', plan } } satisfies WorkerSetup,
          units,
          count,
          (u) => `#${u.index} (runs ${u.from}..${u.to - 1})`,
        );
  return pctReport(s, plan, results);
}
