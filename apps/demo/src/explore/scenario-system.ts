/**
 * A scenario with tasks as a system the explorer searches: each execution boots the scenario afresh, runs its
 * steps, then its tasks under the explorer's choices; the outcome is what a kernel developer compares runs by
 * (an oops, hung tasks, each task's results, the drivers at the end, IOMMU groups whose isolation broke).
 * Workers build it from { arg, cwd, plugins, profile } (createSystem), so it must be loadable on its own.
 */
import type { Kernel } from '@sim/core';
import { explainGroup } from '@sim/vfio';
import { loadNamed } from '../builtins.ts';
import { loadPluginModules } from '../plugins/modules.ts';
import { type RunResult, runScenario } from '../run/run.ts';
import type { Scenario } from '../scenario/types.ts';
import { exploreError } from './errors.ts';
import type { ExploredSystem } from './types.ts';

/** How a worker finds the scenario: as the command line named it, from where, with which plugin modules. */
export interface ScenarioSystemArgs {
  readonly arg: string;
  readonly cwd: string;
  readonly plugins: readonly string[];
  readonly profile: string;
}

/** One execution's outcome. */
export interface ScenarioOutcome {
  /** The oops message, or null. */
  readonly oops: string | null;
  /** Tasks reported hung. */
  readonly hung: readonly string[];
  /** Each task's step results, in step order: a number, an errno name, `oops` or `not run`. */
  readonly results: Readonly<Record<string, readonly string[]>>;
  /** Each device's driver at the end (null: none). */
  readonly drivers: Readonly<Record<string, string | null>>;
  /** IOMMU groups userspace owns while one of their devices is not viable (v4.12's isolation broken). */
  readonly breaches: readonly string[];
}

/** A step's result as the outcome shows it. */
function resultWord(s: RunResult['steps'][number]): string {
  if (!s.ran) return 'not run';
  if (s.oops || s.result === null) return 'oops';
  return s.errno ?? String(s.result);
}

/** Groups whose isolation is broken: userspace holds them (live) and a device is not viable. */
export function isolationBreaches(k: Kernel): string[] {
  if (!k.plugins().includes('vfio')) return [];
  const ids = new Set<number>();
  for (const d of k.devices()) if (d.iommuGroup !== null) ids.add(d.iommuGroup.id);
  const out: string[] = [];
  for (const id of [...ids].sort((a, b) => a - b)) {
    const e = explainGroup(k, id);
    if (e.live && !e.viable) {
      const bad = e.devices.filter((d) => !d.viable).map((d) => `${d.device} (${d.driver ?? 'no driver'})`);
      out.push(`group ${id} in use by userspace with ${bad.join(', ')} not viable`);
    }
  }
  return out;
}

/** The system for a loaded scenario under a profile. */
export function scenarioSystem(scenario: Scenario, profile: string): ExploredSystem<ScenarioOutcome> {
  if (scenario.tasks.length === 0) {
    throw exploreError(
      'SIM_ERR_EXPLORE_BAD_SYSTEM',
      `scenario '${scenario.name}' has no tasks: sim explore searches the schedules of a scenario's tasks (tasks: with two or more lanes)`,
    );
  }
  return {
    run(choose) {
      let breaches: string[] = [];
      const r = runScenario(scenario, profile, {
        choose,
        inspect: (k) => {
          breaches = k.oops === null ? isolationBreaches(k) : [];
        },
      });
      const results: Record<string, string[]> = Object.create(null);
      for (const t of scenario.tasks) results[t.name] = [];
      for (const s of r.steps) if (s.task !== undefined) results[s.task]!.push(resultWord(s));
      const drivers: Record<string, string | null> = Object.create(null);
      for (const [name, d] of Object.entries(r.devices)) drivers[name] = d.driver;
      return {
        transitions: r.tasks?.transitions ?? [],
        aborted: r.tasks?.aborted ?? false,
        outcome: { oops: r.oops?.message ?? null, hung: r.tasks?.hung ?? [], results, drivers, breaches },
      };
    },
    classify: (o) => JSON.stringify(o),
  };
}

/** The worker's entry: loads the plugin modules and the scenario as the command did. */
export async function createSystem(args: ScenarioSystemArgs): Promise<ExploredSystem<ScenarioOutcome>> {
  const loaded = await loadPluginModules(args.plugins, args.cwd);
  if ('error' in loaded) throw exploreError('SIM_ERR_EXPLORE_BAD_SYSTEM', loaded.error);
  const r = loadNamed(args.arg, loaded.registry, args.cwd);
  if (!r.ok) {
    throw exploreError(
      'SIM_ERR_EXPLORE_BAD_SYSTEM',
      `scenario '${args.arg}' does not load in the worker as it did in the command`,
    );
  }
  return scenarioSystem(r.scenario, args.profile);
}
