import { FORMATS, render } from '../format/render.ts';
import { pageSource, runsPage } from '../html/pages.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from '../io.ts';
import { runScenario } from '../run/run.ts';
import { whatIfProfiles } from '../whatif/whatif.ts';
import { type CommandSpec, INJECT_OPTION, PLUGIN_OPTION } from './command.ts';
import { textWidth } from './width.ts';

/** `sim run`: one scenario under one profile, written in one of the output formats. */
export const runCommand: CommandSpec = {
  name: 'run',
  args: '<scenario>',
  maxArgs: 1,
  summary: 'run a scenario',
  description:
    "Boots the scenario's machine under a kernel profile, runs its steps and checks its expectations. Exit 0: every expectation held; 1: one failed (the output shows expected and actual); 2: bad input, nothing was run. A scenario is a YAML file or the name of a built-in one (sim list).",
  options: {
    profile: { type: 'string', value: 'P', help: "kernel behaviour (default: the scenario's profile)" },
    verbose: { type: 'boolean', short: 'v', help: "debug lines and the boot's events too (text format)" },
    inject: INJECT_OPTION,
    plugin: PLUGIN_OPTION,
  },
  formats: [...FORMATS, 'html'],
  run(ctx) {
    const scenario = ctx.load(ctx.args[0]);
    if (typeof scenario === 'number') return scenario;
    const profile = ctx.string('profile') ?? scenario.profile;
    if (!ctx.checkProfile(scenario, profile)) return EXIT_USAGE;
    if (ctx.format === 'html') {
      const src = pageSource(scenario, ctx.args[0]!, ctx.io.cwd);
      const page = runsPage('run', scenario, [profile], src, whatIfProfiles(scenario, profile));
      ctx.io.stdout.write(page.html);
      return page.ok ? EXIT_OK : EXIT_FAILED;
    }
    const run = runScenario(scenario, profile);
    ctx.io.stdout.write(
      render(run, ctx.format, { style: ctx.style, verbose: ctx.flag('verbose'), width: textWidth(ctx.io) }),
    );
    return run.ok ? EXIT_OK : EXIT_FAILED;
  },
};
