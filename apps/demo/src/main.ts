import type { parseArgs as ParseArgs } from 'node:util';
import {
  type AuditRecording,
  type AuditReport,
  auditDueDiligence,
  CORE_PROFILES,
  formatAuditReport,
  recordAudit,
  SimError,
} from '@sim/core';
import { builtinNames, loadNamed } from './builtins.ts';
import { formatCompare } from './format/compare.ts';
import { formatJson } from './format/json.ts';
import { formatJsonl } from './format/jsonl.ts';
import { formatKtap } from './format/ktap.ts';
import { formatMermaid } from './format/mermaid.ts';
import { formatPerfetto } from './format/perfetto.ts';
import { colourWanted, makeStyle, type Style, wrap } from './format/style.ts';
import { formatText } from './format/text.ts';
import { loadPluginModules } from './plugins/modules.ts';
import {
  DUE_DILIGENCE_MACHINE,
  dueDiligencePlugins,
  knownProfiles,
  PLUGINS,
  type Registry,
} from './plugins/registry.ts';
import { runScenario } from './run/run.ts';
import { Session } from './run/session.ts';
import { checkOnKernel, INJECT_FORMS, kernelContext, parseInjectOption, resolveInject } from './scenario/inject.ts';
import { formatProblem, oneLine, type Problem } from './scenario/load.ts';
import { scenarioSchema } from './scenario/schema.ts';
import type { InjectDecl, RawNotifierInject, RawProbeInject, Scenario } from './scenario/types.ts';
import { runShell } from './shell/shell.ts';

/** Where the command reads and writes; the process's streams, or a test's. */
export interface Io {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly parseArgs: typeof ParseArgs;
  /** Where relative scenario and --plugin paths start (default: the process's working directory). */
  readonly cwd?: string;
}

/** Exit codes: success, a failed expectation, bad input (nothing was run). */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export const FORMATS = ['text', 'json', 'jsonl', 'mermaid', 'perfetto', 'ktap'] as const;
export type Format = (typeof FORMATS)[number];

const USAGE = `usage: sim <command> [options]

commands:
  run <file.yaml | name>      run a scenario
      --profile P               kernel behaviour (default: the scenario's)
      --format F                text, json, jsonl, mermaid, perfetto or ktap
      --verbose, -v             debug lines and the boot's events too
      --inject SPEC             fault injection once the machine is up (repeatable):
                                  CHAIN:ACTION=ANSWER[,priority=N][,times=N]
                                  probe:[BUS/]DRIVER=ERRNO[@N]
      --plugin FILE.mjs         a plugin module the scenario can name (repeatable)
  compare <scenario>          the same scenario under several profiles, side by side
      --profiles A,B,...        (default: the scenario's profiles)
  list                        built-in scenarios, profiles and plugins
  audit [<scenario>]          answers other than 0/NOTIFY_OK/NOTIFY_DONE, and what
                              the kernel did with them
  explain <scenario> --group N
                              why an IOMMU group is viable or not
  schema                      the JSON Schema of scenario files
  shell [<scenario>]          an interactive shell on a live kernel
      --profile P

--inject and --plugin work with every command that takes a scenario.
common options: --color, --no-color (NO_COLOR is honoured), --help
exit status: 0 success, 1 an expectation failed, 2 bad input (nothing ran)
`;

/** Runs the command line; returns the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv, io.parseArgs);
  } catch (e) {
    io.stderr.write(`sim: ${(e as Error).message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (values.help === true || command === 'help' || command === undefined) {
    (command === undefined && values.help !== true ? io.stderr : io.stdout).write(USAGE);
    return command === undefined && values.help !== true ? EXIT_USAGE : EXIT_OK;
  }
  const colour = colourWanted(
    io.stdout,
    io.env,
    values.color === true ? true : values['no-color'] === true ? false : null,
  );
  const style = makeStyle(colour);
  const errStyle = makeStyle(
    colourWanted(io.stderr, io.env, values.color === true ? true : values['no-color'] === true ? false : null),
  );
  const usage = (message: string): number => {
    io.stderr.write(`sim ${command}: ${oneLine(message)}\n`);
    return EXIT_USAGE;
  };
  // Plugin modules first: the scenario may name their plugins.
  let registry: Registry = PLUGINS;
  const modules = values.plugin ?? [];
  if (modules.length > 0) {
    const r = await loadPluginModules(modules, io.cwd ?? process.cwd());
    if ('error' in r) return usage(r.error);
    registry = r.registry;
  }
  // --inject: the syntax now; what it names once the scenario is loaded.
  const injectSpecs: { spec: string; raw: RawNotifierInject | RawProbeInject }[] = [];
  for (const spec of values.inject ?? []) {
    const raw = parseInjectOption(spec);
    if ('error' in raw) {
      return usage(`--inject '${spec}': ${raw.error}; expected ${INJECT_FORMS.option} or ${INJECT_FORMS.probeOption}`);
    }
    injectSpecs.push({ spec, raw });
  }
  const takesScenario =
    ['run', 'compare', 'explain'].includes(command) || (['audit', 'shell'].includes(command) && args[0] !== undefined);
  if (injectSpecs.length > 0 && !takesScenario) {
    return usage(`--inject needs a scenario to inject into (run, compare, explain, audit or shell with a scenario)`);
  }
  const problems = (list: readonly Problem[]): number => {
    for (const p of list) io.stderr.write(`${errStyle.red(formatProblem(p))}\n`);
    io.stderr.write(`sim: ${list.length} problem${list.length === 1 ? '' : 's'}; nothing was run\n`);
    return EXIT_USAGE;
  };
  const load = (arg: string | undefined): Scenario | number => {
    if (arg === undefined) return usage(`name a scenario file or a built-in scenario (${builtinNames().join(', ')})`);
    const r = loadNamed(arg, registry, io.cwd);
    if ('notFound' in r) {
      return usage(
        `no scenario file or built-in scenario named '${arg}'; built-in scenarios: ${builtinNames().join(', ')}`,
      );
    }
    if (!r.ok) return problems(r.problems);
    if (injectSpecs.length === 0) return r.scenario;
    const injected = withInjections(r.scenario, injectSpecs);
    if ('errors' in injected) {
      for (const e of injected.errors) io.stderr.write(`sim ${command}: ${oneLine(e)}\n`);
      return EXIT_USAGE;
    }
    return injected.scenario;
  };
  const checkProfile = (scenario: Scenario, profile: string): boolean => {
    const known = knownProfiles(registry);
    const usable = known.filter((p) => p.plugin === null || scenario.plugins.some((q) => q.name === p.plugin));
    if (usable.some((p) => p.name === profile)) return true;
    const owner = known.find((p) => p.name === profile)?.plugin;
    usage(
      owner
        ? `profile '${profile}' comes with plugin '${owner}', which scenario '${scenario.name}' does not use; its profiles: ${usable.map((p) => p.name).join(', ')}`
        : `unknown profile '${profile}'; known profiles: ${usable.map((p) => p.name).join(', ')}`,
    );
    return false;
  };

  switch (command) {
    case 'run': {
      if (args.length > 1) return usage(`takes one scenario, got ${args.length}: ${args.join(' ')}`);
      const format = (values.format ?? 'text') as Format;
      if (!FORMATS.includes(format)) return usage(`unknown format '${format}'; formats: ${FORMATS.join(', ')}`);
      const scenario = load(args[0]);
      if (typeof scenario === 'number') return scenario;
      const profile = values.profile ?? scenario.profile;
      if (!checkProfile(scenario, profile)) return EXIT_USAGE;
      const run = runScenario(scenario, profile);
      io.stdout.write(render(run, format, style, values.verbose === true, io.stdout.columns));
      return run.ok ? EXIT_OK : EXIT_FAILED;
    }
    case 'compare': {
      if (args.length > 1) return usage(`takes one scenario, got ${args.length}: ${args.join(' ')}`);
      const scenario = load(args[0]);
      if (typeof scenario === 'number') return scenario;
      const profiles =
        values.profiles === undefined
          ? [...scenario.profiles]
          : values.profiles
              .split(',')
              .map((p) => p.trim())
              .filter(Boolean);
      if (profiles.length < 1) return usage('--profiles needs at least one profile, such as v4.12,v4.12+bind-veto');
      for (const p of profiles) if (!checkProfile(scenario, p)) return EXIT_USAGE;
      const runs = profiles.map((p) => runScenario(scenario, p));
      io.stdout.write(formatCompare(runs, { style, width: Math.min(io.stdout.columns ?? 80, 100) }));
      return runs.every((r) => r.ok) ? EXIT_OK : EXIT_FAILED;
    }
    case 'list': {
      if (values.format === 'json') {
        io.stdout.write(`${JSON.stringify(listJson(registry), null, 2)}\n`);
        return EXIT_OK;
      }
      if (values.format !== undefined && values.format !== 'text') return usage('formats: text, json');
      io.stdout.write(listText(style, registry));
      return EXIT_OK;
    }
    case 'schema': {
      io.stdout.write(`${JSON.stringify(scenarioSchema(registry), null, 2)}\n`);
      return EXIT_OK;
    }
    case 'shell': {
      let scenario: Scenario | null = null;
      if (args[0] !== undefined) {
        const s = load(args[0]);
        if (typeof s === 'number') return s;
        scenario = s;
      }
      const profile = values.profile ?? scenario?.profile ?? 'v4.12';
      if (scenario !== null && !checkProfile(scenario, profile)) return EXIT_USAGE;
      return runShell(scenario, profile, io, style);
    }
    case 'audit': {
      if (args.length > 1) return usage(`takes at most one scenario, got ${args.length}: ${args.join(' ')}`);
      const format = values.format ?? 'text';
      if (format !== 'text' && format !== 'json') return usage(`formats: text, json; got '${format}'`);
      let report: AuditReport;
      if (args[0] === undefined) {
        // The seed's due diligence: every notifier of the three plugins driven through its non-OK paths.
        const profile = values.profile ?? 'v4.12';
        if (!CORE_PROFILES.some((p) => p.name === profile)) {
          return usage(`the due-diligence run takes a core profile: ${CORE_PROFILES.map((p) => p.name).join(', ')}`);
        }
        report = auditDueDiligence({ plugins: dueDiligencePlugins, machine: DUE_DILIGENCE_MACHINE, profile });
      } else {
        const scenario = load(args[0]);
        if (typeof scenario === 'number') return scenario;
        const profile = values.profile ?? scenario.profile;
        if (!checkProfile(scenario, profile)) return EXIT_USAGE;
        let recording: AuditRecording | null = null;
        runScenario(scenario, profile, { onKernel: (kernel) => (recording = recordAudit(kernel)) });
        report = (recording as AuditRecording | null)!.stop();
      }
      io.stdout.write(format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatAuditReport(report));
      return EXIT_OK;
    }
    case 'explain': {
      if (args.length > 1) return usage(`takes one scenario, got ${args.length}: ${args.join(' ')}`);
      const scenario = load(args[0]);
      if (typeof scenario === 'number') return scenario;
      const group = values.group === undefined ? Number.NaN : Number(values.group);
      if (!Number.isInteger(group) || group < 0 || !/^\d+$/.test(values.group ?? '')) {
        return usage(
          `--group takes an IOMMU group number such as --group 1, got ${values.group === undefined ? 'nothing' : `'${values.group}'`}`,
        );
      }
      const explainer = scenario.plugins.map((p) => p.entry).find((e) => e.explain !== undefined);
      if (explainer === undefined) {
        const has = registry.filter((e) => e.explain !== undefined).map((e) => e.name);
        return usage(
          `scenario '${scenario.name}' uses no plugin that explains IOMMU groups; add ${has.join(' or ') || 'one'} to its plugins`,
        );
      }
      const profile = values.profile ?? scenario.profile;
      if (!checkProfile(scenario, profile)) return EXIT_USAGE;
      let text = '';
      let error: string | null = null;
      const run = runScenario(scenario, profile, {
        inspect: (kernel) => {
          try {
            text = explainer.explain!(kernel, group);
          } catch (e) {
            if (!SimError.isInstance(e)) throw e;
            error = (e as Error).message;
          }
        },
      });
      if (error !== null) return usage(error);
      const last = run.steps.filter((st) => st.ran).at(-1);
      io.stdout.write(
        style.dim(
          `after ${last === undefined ? 'the boot' : `step ${last.index + 1} (\`${last.step.text}\`)`} of ${scenario.name}:\n`,
        ),
      );
      const width = Math.min(io.stdout.columns ?? 80, 100);
      for (const l of text.replace(/\n$/, '').split('\n')) {
        const indent = `${/^ */.exec(l)![0]}    `;
        io.stdout.write(`${wrap(l, width, indent).join('\n')}\n`);
      }
      return EXIT_OK;
    }
    default:
      return usage(`unknown command '${command}'; commands: run, compare, list, audit, explain, schema, shell`);
  }
}

function parse(argv: readonly string[], parseArgs: typeof ParseArgs) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      profile: { type: 'string' },
      profiles: { type: 'string' },
      format: { type: 'string', short: 'f' },
      group: { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
      inject: { type: 'string', multiple: true },
      plugin: { type: 'string', multiple: true },
      color: { type: 'boolean' },
      'no-color': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** A run in one of the output formats. */
export function render(
  run: ReturnType<typeof runScenario>,
  format: Format,
  style: Style,
  verbose: boolean,
  columns?: number,
): string {
  switch (format) {
    case 'text':
      return formatText(run, { style, verbose, width: Math.min(columns ?? 80, 100) });
    case 'json':
      return `${JSON.stringify(formatJson(run), null, 2)}\n`;
    case 'jsonl':
      return formatJsonl(run);
    case 'mermaid':
      return formatMermaid(run);
    case 'perfetto':
      return `${JSON.stringify(formatPerfetto(run))}\n`;
    case 'ktap':
      return formatKtap(run);
  }
}

/** `sim list --format json`: the built-in scenarios (with the profiles each is written for), profiles, plugins. */
function listJson(registry: Registry) {
  return {
    scenarios: builtinNames().map((name) => {
      const r = loadNamed(name, registry);
      return 'scenario' in r
        ? { name, description: r.scenario.description, profiles: [...r.scenario.profiles] }
        : { name, description: null, profiles: [] };
    }),
    profiles: knownProfiles(registry).map((p) => ({
      name: p.name,
      description: p.description,
      flags: [...p.flags],
      plugin: p.plugin,
    })),
    plugins: registry.map((p) => ({
      name: p.name,
      package: p.package,
      description: p.description,
      dependencies: [...p.dependencies],
    })),
  };
}

function listText(s: Style, registry: Registry): string {
  const out: string[] = [s.bold('built-in scenarios') + s.dim(' (sim run <name>)')];
  const names = builtinNames();
  const width = Math.max(...names.map((n) => n.length));
  for (const name of names) {
    const r = loadNamed(name, registry);
    const desc = 'scenario' in r ? r.scenario.description : '(does not load: run it to see why)';
    out.push(`  ${name.padEnd(width)}  ${firstSentence(desc)}`);
  }
  out.push('', s.bold('profiles') + s.dim(' (--profile, --profiles)'));
  const profiles = knownProfiles(registry);
  const pw = Math.max(...profiles.map((p) => p.name.length));
  for (const p of profiles) {
    out.push(
      `  ${p.name.padEnd(pw)}  ${firstSentence(p.description)}${p.plugin === null ? '' : s.dim(` [plugin ${p.plugin}]`)}`,
    );
  }
  out.push('', s.bold('plugins') + s.dim(' (plugins: in a scenario file)'));
  if (registry.length === 0) out.push('  none in this build');
  const lw = Math.max(...registry.map((p) => p.name.length));
  for (const p of registry)
    out.push(`  ${p.name.padEnd(lw)}  ${firstSentence(`${p.package}: ${p.description}`, 76 - lw)}`);
  return `${out.join('\n')}\n`;
}

/**
 * A scenario with the --inject injections after its own: each checked as the file's `inject:` entries are, against
 * the scenario's machine booted once (its plugins' chains exist only then). Nothing of the scenario runs here.
 */
function withInjections(
  scenario: Scenario,
  specs: readonly { spec: string; raw: RawNotifierInject | RawProbeInject }[],
): { scenario: Scenario } | { errors: string[] } {
  const session = new Session(scenario, scenario.profile);
  const k = session.kernel;
  session.recording.stop();
  const plugins = scenario.plugins.map((p) => p.entry);
  const live = kernelContext(k, plugins);
  const context = {
    ...live,
    // Drivers only a modprobe step registers are named too, so that the message says why they cannot be used.
    drivers: [
      ...live.drivers,
      ...scenario.drivers.filter((d) => !d.loaded).map((d) => ({ bus: d.bus, name: d.name, loaded: false })),
    ],
    atBoot: true,
  };
  const errors: string[] = [];
  const decls: InjectDecl[] = [];
  for (const { spec, raw } of specs) {
    const r = resolveInject(raw, context, null);
    const bad = 'problems' in r ? r.problems : k.oops === null ? [checkOnKernel(r.decl, k, plugins)] : [];
    for (const p of bad) if (p !== null) errors.push(`--inject '${spec}': ${p.message}; expected ${p.expected}`);
    if ('decl' in r && bad.every((p) => p === null)) decls.push(r.decl);
  }
  k.close();
  return errors.length > 0 ? { errors } : { scenario: { ...scenario, inject: [...scenario.inject, ...decls] } };
}

/** The first sentence of a description, cut to fit a line. */
export function firstSentence(text: string, max = 58): string {
  const t = text.replace(/\s+/g, ' ').trim();
  const m = /^(.*?\.)(\s|$)/.exec(t);
  const first = m === null ? t : m[1]!;
  return first.length > max ? `${first.slice(0, max - 1)}…` : first;
}
