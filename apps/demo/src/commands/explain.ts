import { SimError } from '@sim/core';
import { wrap } from '../format/style.ts';
import { explainPage, pageSource } from '../html/pages.ts';
import { EXIT_OK, EXIT_USAGE } from '../io.ts';
import { runScenario } from '../run/run.ts';
import { formatWhatIf, parseActions, whatIf, whatIfProfiles } from '../whatif/whatif.ts';
import { type CommandSpec, INJECT_OPTION, PLUGIN_OPTION } from './command.ts';
import { textWidth } from './width.ts';

/** `sim explain --group N`: why an IOMMU group is viable or not at the end of a scenario. */
export const explainCommand: CommandSpec = {
  name: 'explain',
  args: '<scenario> (--group N | --what-if ACTION)',
  maxArgs: 1,
  summary: 'why an IOMMU group is viable or not; what an action would do under each profile',
  description:
    "Runs the scenario, then explains IOMMU group N as the kernel at its end sees it: each device, its driver, whether vfio's viability test accepts it, and which bind would break the group. The scenario must use a plugin that explains groups (vfio). With --what-if: replays the scenario under each profile (its first N steps with --after N), tries the sysfs write(s), and reports each return, the devices whose driver or viability change, the groups that break and why; nothing is kept.",
  options: {
    group: { type: 'string', value: 'N', help: 'the IOMMU group number (required without --what-if)' },
    'what-if': {
      type: 'string',
      multiple: true,
      value: 'ACTION',
      help: 'a sysfs write to try, as a step writes it: "echo 0000:01:00.1 > /sys/bus/pci/drivers/snd_hda_intel/bind" (repeatable: tried in order)',
    },
    after: {
      type: 'string',
      value: 'N',
      help: "with --what-if: try it after step N (0: right after the boot; default: the scenario's last step)",
    },
    profile: { type: 'string', value: 'P', help: "kernel behaviour (default: the scenario's profile)" },
    inject: INJECT_OPTION,
    plugin: PLUGIN_OPTION,
  },
  formats: ['text', 'json', 'html'],
  run(ctx) {
    const scenario = ctx.load(ctx.args[0]);
    if (typeof scenario === 'number') return scenario;
    const actions = ctx.list('what-if');
    if (actions.length > 0) {
      if (ctx.string('group') !== undefined) return ctx.usage('give --group N or --what-if ACTION, not both');
      const parsed = parseActions(actions);
      if ('error' in parsed) return ctx.usage(parsed.error);
      const afterText = ctx.string('after');
      const after = afterText === undefined ? scenario.steps.length : Number(afterText);
      if (afterText !== undefined && (!/^\d+$/.test(afterText) || after > scenario.steps.length)) {
        return ctx.usage(
          `--after takes a step number from 0 (right after the boot) to ${scenario.steps.length} (the last step of ${scenario.name}), got '${afterText}'`,
        );
      }
      const one = ctx.string('profile');
      const profiles = one !== undefined ? [one] : whatIfProfiles(scenario);
      for (const p of profiles) if (!ctx.checkProfile(scenario, p)) return EXIT_USAGE;
      const result = whatIf(scenario, profiles, actions, after);
      if (ctx.format === 'html') {
        const src = pageSource(scenario, ctx.args[0]!, ctx.io.cwd);
        ctx.io.stdout.write(explainPage(scenario, profiles, src, { explain: null, whatIf: result }));
        return EXIT_OK;
      }
      ctx.io.stdout.write(ctx.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : formatWhatIf(result));
      return EXIT_OK;
    }
    if (ctx.string('after') !== undefined) return ctx.usage('--after goes with --what-if ACTION');
    const given = ctx.string('group');
    const group = given === undefined ? Number.NaN : Number(given);
    if (!Number.isInteger(group) || group < 0 || !/^\d+$/.test(given ?? '')) {
      return ctx.usage(
        `--group takes an IOMMU group number such as --group 1, got ${given === undefined ? 'nothing' : `'${given}'`}`,
      );
    }
    const explainer = scenario.plugins.map((p) => p.entry).find((e) => e.explain !== undefined);
    if (explainer === undefined) {
      const has = ctx.registry.filter((e) => e.explain !== undefined).map((e) => e.name);
      return ctx.usage(
        `scenario '${scenario.name}' uses no plugin that explains IOMMU groups; add ${has.join(' or ') || 'one'} to its plugins`,
      );
    }
    const profile = ctx.string('profile') ?? scenario.profile;
    if (!ctx.checkProfile(scenario, profile)) return EXIT_USAGE;
    let text = '';
    let data: unknown = null;
    let error: string | null = null;
    const json = ctx.format === 'json';
    const run = runScenario(scenario, profile, {
      inspect: (kernel) => {
        try {
          if (json && explainer.explainJson !== undefined) data = explainer.explainJson(kernel, group);
          else text = explainer.explain!(kernel, group);
        } catch (e) {
          if (!SimError.isInstance(e)) throw e;
          error = (e as Error).message;
        }
      },
    });
    if (error !== null) return ctx.usage(error);
    if (ctx.format === 'html') {
      const src = pageSource(scenario, ctx.args[0]!, ctx.io.cwd);
      ctx.io.stdout.write(explainPage(scenario, [profile], src, { explain: { group, text }, whatIf: null }));
      return EXIT_OK;
    }
    const last = run.steps.filter((st) => st.ran).at(-1);
    const { io, style } = ctx;
    if (json) {
      // explain-output.schema.json; a plugin module's explainer without data gives its text as { text }.
      const out = {
        scenario: scenario.name,
        profile,
        after: last === undefined ? null : { step: last.index + 1, text: last.step.text },
        explanation: data ?? { text },
      };
      io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return EXIT_OK;
    }
    io.stdout.write(
      style.dim(
        `after ${last === undefined ? 'the boot' : `step ${last.index + 1} (\`${last.step.text}\`)`} of ${scenario.name}:\n`,
      ),
    );
    const width = textWidth(io);
    for (const l of text.replace(/\n$/, '').split('\n')) {
      const indent = `${/^ */.exec(l)![0]}    `;
      io.stdout.write(`${wrap(l, width, indent).join('\n')}\n`);
    }
    return EXIT_OK;
  },
};
