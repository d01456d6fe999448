import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { builtinPath } from '../builtins.ts';
import { explorePctOnWorkers, exploreSystematicOnWorkers } from '../explore/explore.ts';
import type { ScenarioOutcome, ScenarioSystemArgs } from '../explore/scenario-system.ts';
import type { ExploreReport, OutcomeClass } from '../explore/types.ts';
import { wrap } from '../format/style.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from '../io.ts';
import type { Scenario } from '../scenario/types.ts';
import { type CommandSpec, PLUGIN_OPTION } from './command.ts';
import { textWidth } from './width.ts';

/** An integer option in a range, or a usage message. */
function intOption(text: string | undefined, name: string, min: number, max: number): number | string | undefined {
  if (text === undefined) return undefined;
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    return `--${name} takes an integer from ${min} to ${max}, got '${text}'`;
  return n;
}

/** The scenario's text with `schedule:` set: a file `sim run` replays to the same outcome. */
export function replayText(source: string, schedule: readonly string[]): string {
  const doc = parseDocument(source);
  doc.set('schedule', doc.createNode([...schedule], { flow: true }));
  return String(doc);
}

/** What a class's outcome says, in a few lines. */
function describeOutcome(o: ScenarioOutcome): string[] {
  const lines: string[] = [];
  lines.push(o.oops === null ? 'no oops' : `oops: ${o.oops}`);
  if (o.breaches.length > 0) lines.push(...o.breaches.map((b) => `isolation broken: ${b}`));
  if (o.hung.length > 0) lines.push(`hung: ${o.hung.join(', ')}`);
  for (const [task, results] of Object.entries(o.results)) lines.push(`${task}: ${results.join(', ')}`);
  lines.push(
    `drivers: ${Object.entries(o.drivers)
      .map(([d, drv]) => `${d} ${drv ?? '-'}`)
      .join(', ')}`,
  );
  return lines;
}

/** A bad outcome: the kernel died, a task hung, or isolation broke. */
const bad = (o: ScenarioOutcome) => o.oops !== null || o.hung.length > 0 || o.breaches.length > 0;

/** `sim explore`: the schedules of a scenario's tasks, searched for outcomes that differ. */
export const exploreCommand: CommandSpec = {
  name: 'explore',
  args: '<scenario>',
  maxArgs: 1,
  summary: "search the schedules of a scenario's tasks for the outcomes they can reach",
  description:
    "Runs the scenario's tasks (tasks:) under every interleaving at the points where the kernel can switch tasks (a system call, a lock, a wait), bounded by preemptions (CHESS) with sleep sets, or under PCT's randomized schedules (--mode pct). Reports each outcome class (an oops, hung tasks, broken IOMMU group isolation, different results or drivers) with the first schedule that reaches it, and how much of the space was covered. --out DIR writes each class's schedule as a scenario file that sim run replays. Exit 0: no class has an oops, a hung task or broken isolation; 1: one does; 2: bad input.",
  options: {
    profile: { type: 'string', value: 'P', help: "kernel behaviour (default: the scenario's profile)" },
    mode: { type: 'string', value: 'M', help: 'dfs (every schedule within the bound; default) or pct (randomized)' },
    bound: {
      type: 'string',
      value: 'N',
      help: "dfs: the preemption bound (default 2); 'none' for no bound (with sleep sets: every schedule, up to equivalence)",
    },
    'no-sleep-sets': {
      type: 'boolean',
      help: 'dfs: run equivalent orders too (with a bound, what is covered is then every schedule within it)',
    },
    limit: { type: 'string', value: 'N', help: 'dfs: executions at most (default 10000)' },
    runs: { type: 'string', value: 'N', help: 'pct: runs (default 1000)' },
    seed: { type: 'string', value: 'N', help: 'pct: the seed (default 0)' },
    depth: { type: 'string', value: 'D', help: 'pct: the bug depth its guarantee is for (default 3)' },
    workers: {
      type: 'string',
      value: 'N',
      help: 'worker threads (default: the cores; 0: this thread); the report is the same',
    },
    out: { type: 'string', value: 'DIR', help: "write each outcome class's schedule as a scenario file there" },
    plugin: PLUGIN_OPTION,
  },
  formats: ['text', 'json'],
  async run(ctx) {
    const arg = ctx.args[0];
    const scenario = ctx.load(arg);
    if (typeof scenario === 'number') return scenario;
    // loaded: the command line named it
    const named = String(arg);
    const profile = ctx.string('profile') ?? scenario.profile;
    if (!ctx.checkProfile(scenario, profile)) return EXIT_USAGE;
    if (scenario.tasks.length < 2) {
      return ctx.usage(
        `scenario '${scenario.name}' has ${scenario.tasks.length === 0 ? 'no tasks' : 'one task'}: sim explore searches how two or more tasks (tasks:) interleave`,
      );
    }
    const x = scenario.explore;
    const mode = ctx.string('mode') ?? x?.mode ?? 'dfs';
    if (mode !== 'dfs' && mode !== 'pct') return ctx.usage(`--mode takes dfs or pct, got '${mode}'`);
    const nums: Record<string, number | undefined> = {};
    const unbounded = ctx.string('bound') === 'none';
    for (const [name, min, max] of [
      ['bound', 0, 64],
      ['limit', 1, 1_000_000],
      ['runs', 1, 1_000_000],
      ['seed', 0, 4_294_967_295],
      ['depth', 1, 16],
      ['workers', 0, 64],
    ] as const) {
      const v = name === 'bound' && unbounded ? undefined : intOption(ctx.string(name), name, min, max);
      if (typeof v === 'string') return ctx.usage(v);
      nums[name] = v;
    }
    const cwd = ctx.io.cwd ?? process.cwd();
    const file = named.includes('/') || /\.ya?ml$/.test(named);
    const args: ScenarioSystemArgs = {
      arg: file ? resolve(cwd, named) : named,
      cwd,
      plugins: ctx.list('plugin').map((p) => (isAbsolute(p) ? p : resolve(cwd, p))),
      profile,
    };
    const spec = { module: new URL('./explore-scenario.js', import.meta.url).href, args };
    const workers = nums.workers === undefined ? {} : { workers: nums.workers };
    let report: ExploreReport;
    try {
      report =
        mode === 'pct'
          ? await explorePctOnWorkers(spec, {
              runs: nums.runs ?? x?.limit ?? 1000,
              seed: nums.seed ?? x?.seed ?? 0,
              depth: nums.depth ?? x?.depth ?? 3,
              ...workers,
            })
          : await exploreSystematicOnWorkers(spec, {
              preemptionBound: unbounded ? Number.POSITIVE_INFINITY : (nums.bound ?? x?.bound ?? 2),
              sleepSets: !ctx.flag('no-sleep-sets'),
              limit: nums.limit ?? x?.limit ?? 10_000,
              ...workers,
            });
    } catch (e) {
      ctx.io.stderr.write(`sim explore: ${e instanceof Error ? e.message : String(e)}\n`);
      return EXIT_FAILED;
    }
    const source = readFileSync(file ? resolve(cwd, named) : builtinPath(named)!, 'utf8');
    const classes = report.classes.map((c: OutcomeClass, i) => ({
      index: i + 1,
      count: c.count,
      first: c.first,
      schedule: [...c.schedule],
      outcome: JSON.parse(c.key) as ScenarioOutcome,
      replay: replayText(source, c.schedule),
    }));
    const outDir = ctx.string('out');
    const written: string[] = [];
    if (outDir !== undefined) {
      const dir = resolve(cwd, outDir);
      try {
        await mkdir(dir, { recursive: true });
        for (const c of classes) {
          const path = join(dir, `${scenario.name}.${profile}.${c.index}.yaml`);
          await writeFile(path, c.replay);
          written.push(path);
        }
      } catch (e) {
        ctx.io.stderr.write(`sim explore: --out '${outDir}': ${e instanceof Error ? e.message : String(e)}\n`);
        return EXIT_FAILED;
      }
    }
    const anyBad = classes.some((c) => bad(c.outcome));
    if (ctx.format === 'json') {
      ctx.io.stdout.write(
        `${JSON.stringify({ scenario: scenario.name, profile, report: { ...report, classes: undefined }, classes }, null, 2)}\n`,
      );
      return anyBad ? EXIT_FAILED : EXIT_OK;
    }
    ctx.io.stdout.write(formatExplore(scenario, profile, report, classes, written, ctx.style.bold, textWidth(ctx.io)));
    return anyBad ? EXIT_FAILED : EXIT_OK;
  },
};

/** The text report. */
function formatExplore(
  scenario: Scenario,
  profile: string,
  r: ExploreReport,
  classes: readonly { index: number; count: number; first: number; schedule: string[]; outcome: ScenarioOutcome }[],
  written: readonly string[],
  bold: (s: string) => string,
  width: number,
): string {
  const out: string[] = [
    bold(`sim explore ${scenario.name} under ${profile}: tasks ${scenario.tasks.map((t) => t.name).join(', ')}`),
  ];
  if (r.mode === 'systematic') {
    const bound = r.preemptionBound === null ? 'no preemption bound' : `preemption bound ${r.preemptionBound}`;
    out.push(
      `  depth-first, ${bound}, sleep sets ${r.sleepSets ? 'on' : 'off'}: ${r.executions} executions, ${r.sleepSetCuts} cut by sleep sets`,
    );
    out.push(
      `  covered: ${
        {
          'every-schedule': 'every schedule (each run, or equivalent to one that was: independent steps reordered)',
          'within-bound': `every schedule with at most ${r.preemptionBound} preemptions (${r.preemptionCuts} alternatives lay beyond the bound)`,
          'within-bound-reduced': `schedules with at most ${r.preemptionBound} preemptions, up to sleep-set reduction (${r.preemptionCuts} alternatives beyond the bound)`,
          partial: `NOT complete: stopped at the limit of ${r.limit} runs`,
        }[r.coverage]
      }`,
    );
  } else {
    out.push(`  PCT: ${r.runs} runs, seed ${r.seed}, depth ${r.depth}; n=${r.tasks} tasks, k=${r.steps} steps`);
    out.push(
      `  guarantee: each run finds a given depth-${r.depth} bug with probability >= ${r.perRunProbability.toPrecision(3)}; all ${r.runs} runs: >= ${r.overallProbability.toPrecision(3)}`,
    );
  }
  out.push('');
  out.push(`${classes.length} outcome class${classes.length === 1 ? '' : 'es'}:`);
  for (const c of classes) {
    out.push('');
    out.push(`${bold(`${c.index}.`)} ${c.count} execution${c.count === 1 ? '' : 's'}${bad(c.outcome) ? ' (bad)' : ''}`);
    const lines = [...describeOutcome(c.outcome), `first schedule: ${c.schedule.join(' ')}`];
    if (written[c.index - 1] !== undefined) lines.push(`replay: sim run ${written[c.index - 1]} --profile ${profile}`);
    for (const l of lines) out.push(...wrap(l, width - 4, '  ').map((w) => `    ${w}`));
  }
  if (written.length === 0) out.push('', 'sim explore --out DIR writes each schedule as a scenario file for sim run.');
  // The other lines wrap too, on a narrow terminal (the classes' lines were wrapped above).
  const fit = (l: string): string[] => {
    if (l.length <= width || l.startsWith('    ')) return [l];
    const ind = l.length - l.trimStart().length;
    return wrap(l.slice(ind), width - ind, '  ').map((w) => ' '.repeat(ind) + w);
  };
  return `${out.flatMap(fit).join('\n')}\n`;
}
