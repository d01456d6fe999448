import { compareJson, formatCompare } from '../format/compare.ts';
import { pageSource, runsPage } from '../html/pages.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from '../io.ts';
import { runScenario } from '../run/run.ts';
import { type CommandSpec, INJECT_OPTION, PLUGIN_OPTION } from './command.ts';
import { textWidth } from './width.ts';

/** `sim compare`: one scenario under several profiles, side by side, the first difference marked. */
export const compareCommand: CommandSpec = {
  name: 'compare',
  args: '<scenario>',
  maxArgs: 1,
  summary: 'the same scenario under several profiles, side by side',
  description:
    'Runs the scenario once under each profile and puts the runs side by side, step by step, with the first step whose result or effects differ marked. Exit 0 when every run kept its expectations, 1 when one did not.',
  options: {
    profiles: {
      type: 'string',
      value: 'A,B,...',
      help: "the profiles, comma-separated (default: the scenario's profiles)",
    },
    inject: INJECT_OPTION,
    plugin: PLUGIN_OPTION,
  },
  formats: ['text', 'json', 'html'],
  run(ctx) {
    const scenario = ctx.load(ctx.args[0]);
    if (typeof scenario === 'number') return scenario;
    const given = ctx.string('profiles');
    const profiles =
      given === undefined
        ? [...scenario.profiles]
        : given
            .split(',')
            .map((p) => p.trim())
            .filter(Boolean);
    if (profiles.length < 1) return ctx.usage('--profiles needs at least one profile, such as v4.12,v4.12+bind-veto');
    for (const p of profiles) if (!ctx.checkProfile(scenario, p)) return EXIT_USAGE;
    if (ctx.format === 'html') {
      const page = runsPage('compare', scenario, profiles, pageSource(scenario, ctx.args[0]!, ctx.io.cwd), profiles);
      ctx.io.stdout.write(page.html);
      return page.ok ? EXIT_OK : EXIT_FAILED;
    }
    const runs = profiles.map((p) => runScenario(scenario, p));
    ctx.io.stdout.write(
      ctx.format === 'json'
        ? `${JSON.stringify(compareJson(runs), null, 2)}\n`
        : formatCompare(runs, { style: ctx.style, width: textWidth(ctx.io) }),
    );
    return runs.every((r) => r.ok) ? EXIT_OK : EXIT_FAILED;
  },
};
