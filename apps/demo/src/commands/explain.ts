import { SimError } from '@sim/core';
import { wrap } from '../format/style.ts';
import { EXIT_OK, EXIT_USAGE } from '../io.ts';
import { runScenario } from '../run/run.ts';
import { type CommandSpec, INJECT_OPTION, PLUGIN_OPTION } from './command.ts';
import { textWidth } from './width.ts';

/** `sim explain --group N`: why an IOMMU group is viable or not at the end of a scenario. */
export const explainCommand: CommandSpec = {
  name: 'explain',
  args: '<scenario> --group N',
  maxArgs: 1,
  summary: 'why an IOMMU group is viable or not',
  description:
    "Runs the scenario, then explains IOMMU group N as the kernel at its end sees it: each device, its driver, whether vfio's viability test accepts it, and which bind would break the group. The scenario must use a plugin that explains groups (vfio).",
  options: {
    group: { type: 'string', value: 'N', help: 'the IOMMU group number (required)' },
    profile: { type: 'string', value: 'P', help: "kernel behaviour (default: the scenario's profile)" },
    inject: INJECT_OPTION,
    plugin: PLUGIN_OPTION,
  },
  formats: ['text', 'json'],
  run(ctx) {
    const scenario = ctx.load(ctx.args[0]);
    if (typeof scenario === 'number') return scenario;
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
