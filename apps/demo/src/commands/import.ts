import { EXIT_OK, EXIT_USAGE } from '../io.ts';
import { ImportError, importTree, machineYaml } from '../machine/import-tree.ts';
import { formatProblem, loadScenario } from '../scenario/load.ts';
import type { CommandSpec } from './command.ts';

/** `sim import [/sys | DIR] > machine.yaml`: a scenario file of a real machine's PCI layout. */
export const importCommand: CommandSpec = {
  name: 'import',
  args: '[/sys | <dir>]',
  maxArgs: 1,
  summary: "a scenario file of a real machine's PCI layout",
  description:
    "Reads the PCI functions of a live /sys (the default) or of a tree written by sim export or by the capture command in apps/demo/README.md, and writes a scenario file on stdout: each function's ids, class, revision, irq, header type, PCIe, topology and IOMMU group; a driver for each driver bound now, matching exactly the devices bound to it; steps for each driver_override. The file is checked as every scenario is before it is written. Then sim run, sim explain and sim mount work on the machine's layout.",
  options: {},
  run(ctx) {
    const root = ctx.args[0] ?? '/sys';
    let text: string;
    try {
      text = machineYaml(importTree(root), root);
    } catch (e) {
      if (e instanceof ImportError) return ctx.usage(e.message);
      throw e;
    }
    const loaded = loadScenario(text, 'machine.yaml', { plugins: ctx.registry });
    if (!loaded.ok) {
      ctx.io.stderr.write(
        `sim import: the scenario read from ${root} does not load (a bug in sim import; please report it with this output):\n${loaded.problems.map((p) => formatProblem(p)).join('\n')}\n${text}`,
      );
      return EXIT_USAGE;
    }
    ctx.io.stdout.write(text);
    return EXIT_OK;
  },
};
