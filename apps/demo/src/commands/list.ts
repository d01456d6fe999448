import { builtinNames, loadNamed } from '../builtins.ts';
import type { Style } from '../format/style.ts';
import { EXIT_OK } from '../io.ts';
import { knownProfiles, type Registry } from '../plugins/registry.ts';
import { type CommandSpec, PLUGIN_OPTION } from './command.ts';
import { textWidth } from './width.ts';

/** `sim list`: the built-in scenarios, the profiles and the plugins. */
export const listCommand: CommandSpec = {
  name: 'list',
  args: '',
  maxArgs: 0,
  summary: 'built-in scenarios, profiles and plugins',
  description:
    'Lists the built-in scenarios (sim run <name>), the profiles (--profile), and the plugins a scenario can name in plugins:, with those of the --plugin modules.',
  options: { plugin: PLUGIN_OPTION },
  formats: ['text', 'json'],
  run(ctx) {
    ctx.io.stdout.write(
      ctx.format === 'json'
        ? `${JSON.stringify(listJson(ctx.registry), null, 2)}\n`
        : listText(ctx.style, ctx.registry, textWidth(ctx.io)),
    );
    return EXIT_OK;
  },
};

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

/** The text listing, each description's first sentence cut to `width` columns (not cut when it is Infinity). */
function listText(s: Style, registry: Registry, width: number): string {
  const out: string[] = [s.bold('built-in scenarios') + s.dim(' (sim run <name>)')];
  const names = builtinNames();
  const nameW = Math.max(...names.map((n) => n.length));
  for (const name of names) {
    const r = loadNamed(name, registry);
    const desc = 'scenario' in r ? r.scenario.description : '(does not load: run it to see why)';
    out.push(`  ${name.padEnd(nameW)}  ${firstSentence(desc, width - nameW - 4)}`);
  }
  out.push('', s.bold('profiles') + s.dim(' (--profile, --profiles)'));
  const profiles = knownProfiles(registry);
  const pw = Math.max(...profiles.map((p) => p.name.length));
  for (const p of profiles) {
    out.push(
      `  ${p.name.padEnd(pw)}  ${firstSentence(p.description, width - pw - 4 - (p.plugin === null ? 0 : p.plugin.length + 10))}${p.plugin === null ? '' : s.dim(` [plugin ${p.plugin}]`)}`,
    );
  }
  out.push('', s.bold('plugins') + s.dim(' (plugins: in a scenario file)'));
  if (registry.length === 0) out.push('  none in this build');
  const lw = Math.max(...registry.map((p) => p.name.length));
  for (const p of registry)
    out.push(`  ${p.name.padEnd(lw)}  ${firstSentence(`${p.package}: ${p.description}`, width - lw - 4)}`);
  return `${out.join('\n')}\n`;
}

/** The first sentence of a description, cut to `max` columns (not cut when max is Infinity). */
export function firstSentence(text: string, max = 58): string {
  const t = text.replace(/\s+/g, ' ').trim();
  const m = /^(.*?\.)(\s|$)/.exec(t);
  const first = m === null ? t : m[1]!;
  const room = Math.max(10, max);
  return first.length > room ? `${first.slice(0, room - 1)}…` : first;
}
