import { builtinNames, loadNamed } from '../builtins.ts';
import type { Style } from '../format/style.ts';
import { EXIT_USAGE, type Io } from '../io.ts';
import { knownProfiles, type Registry } from '../plugins/registry.ts';
import { Session } from '../run/session.ts';
import { checkOnKernel, INJECT_FORMS, kernelContext, parseInjectOption, resolveInject } from '../scenario/inject.ts';
import { formatProblem, oneLine, type Problem } from '../scenario/load.ts';
import type { InjectDecl, RawNotifierInject, RawProbeInject, RawSysfsInject, Scenario } from '../scenario/types.ts';
import type { CommandContext, CommandSpec, OptionValues } from './command.ts';

type InjectSpec = { readonly spec: string; readonly raw: RawNotifierInject | RawProbeInject | RawSysfsInject };

/**
 * The context of one command's run. `--inject` specs are parsed here (their syntax; what they name is checked once
 * the scenario is loaded); a bad one is reported through `usage` and makes this return the exit code instead.
 */
export function makeContext(init: {
  io: Io;
  command: CommandSpec;
  args: readonly string[];
  options: OptionValues;
  format: string;
  style: Style;
  errStyle: Style;
  registry: Registry;
}): CommandContext | number {
  const { io, command, options, registry, errStyle } = init;
  const string = (name: string) => {
    const v = options[name];
    return typeof v === 'string' ? v : undefined;
  };
  const flag = (name: string) => options[name] === true;
  const list = (name: string) => {
    const v = options[name];
    return Array.isArray(v) ? (v as readonly string[]) : typeof v === 'string' ? [v] : [];
  };
  const usage = (message: string): number => {
    io.stderr.write(`sim ${command.name}: ${oneLine(message)}\n`);
    return EXIT_USAGE;
  };
  const injectSpecs: InjectSpec[] = [];
  for (const spec of list('inject')) {
    const raw = parseInjectOption(spec);
    if ('error' in raw) {
      return usage(
        `--inject '${spec}': ${raw.error}; expected ${INJECT_FORMS.option}, ${INJECT_FORMS.probeOption} or ${INJECT_FORMS.sysfsOption}`,
      );
    }
    injectSpecs.push({ spec, raw });
  }
  const problems = (ps: readonly Problem[], omitted = 0, atLeast = false): number => {
    for (const p of ps) io.stderr.write(`${errStyle.red(formatProblem(p))}\n`);
    const n = ps.length + omitted;
    // atLeast: the report was settled before the file's end, so the rest is a lower bound.
    const some = atLeast ? 'at least ' : '';
    const more = omitted === 0 ? '' : ` (the first ${ps.length} shown, ${some}${omitted} more left out)`;
    io.stderr.write(`sim: ${some}${n} problem${n === 1 ? '' : 's'}${more}; nothing was run\n`);
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
    if ('unreadable' in r) return usage(r.unreadable);
    if (!r.ok) return problems(r.problems, r.omitted, r.atLeast === true);
    if (injectSpecs.length === 0) return r.scenario;
    const injected = withInjections(r.scenario, injectSpecs);
    if ('errors' in injected) {
      for (const e of injected.errors) io.stderr.write(`sim ${command.name}: ${oneLine(e)}\n`);
      return EXIT_USAGE;
    }
    return injected.scenario;
  };
  const checkProfile = (scenario: Scenario, profile: string): boolean => {
    const known = knownProfiles(registry);
    const usable = known.filter((p) => p.plugin === null || scenario.plugins.some((q) => q.name === p.plugin));
    const why = Object.hasOwn(scenario.inapplicable, profile) ? scenario.inapplicable[profile] : undefined;
    if (why !== undefined) {
      usage(`scenario '${scenario.name}' does not apply to profile '${profile}': ${why}`);
      return false;
    }
    if (usable.some((p) => p.name === profile)) return true;
    const owner = known.find((p) => p.name === profile)?.plugin;
    usage(
      owner
        ? `profile '${profile}' comes with plugin '${owner}', which scenario '${scenario.name}' does not use; its profiles: ${usable.map((p) => p.name).join(', ')}`
        : `unknown profile '${profile}'; known profiles: ${usable.map((p) => p.name).join(', ')}`,
    );
    return false;
  };
  return { ...init, string, flag, list, usage, problems, load, checkProfile };
}

/**
 * A scenario with the --inject injections after its own: each checked as the file's `inject:` entries are, against
 * the scenario's machine booted once (its plugins' chains exist only then). Nothing of the scenario runs here.
 */
function withInjections(
  scenario: Scenario,
  specs: readonly InjectSpec[],
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
