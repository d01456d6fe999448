import { EXIT_OK, EXIT_USAGE } from '../io.ts';
import { exportTargetProblem, exportTree } from '../machine/export-tree.ts';
import { stepsUpTo } from '../machine/live.ts';
import { runScenario } from '../run/run.ts';
import { type CommandSpec, INJECT_OPTION, PLUGIN_OPTION } from './command.ts';

/** `sim export DIR [scenario] [--at STEP]`: a static snapshot of the live /sys that real tools read. */
export const exportCommand: CommandSpec = {
  name: 'export',
  args: '<dir> [<scenario>]',
  maxArgs: 2,
  summary: 'write /sys as a directory tree that real tools read',
  description:
    "Boots the scenario's machine (default: seed), runs its steps (all of them, or the first STEP with --at STEP; --at 0 is the machine after the boot) and writes its /sys under DIR, a new or empty directory: attributes as files with their modes and contents, links as relative symlinks. Then `lspci -nnk -O sysfs.path=DIR/bus/pci` reads it with no privileges, and a tool that hard-codes /sys reads it in a private mount namespace (unshare -m sh -c 'mount --bind DIR /sys && TOOL'). A static copy answers writes with success and keeps stale links: for the kernel's answers use sim mount or sim exec.",
  options: {
    at: { type: 'string', value: 'STEP', help: 'stop after step STEP (0: right after the boot)' },
    profile: { type: 'string', value: 'P', help: "kernel behaviour (default: the scenario's profile)" },
    inject: INJECT_OPTION,
    plugin: PLUGIN_OPTION,
  },
  run(ctx) {
    const dir = ctx.args[0];
    if (dir === undefined) return ctx.usage('name the directory to write: sim export DIR [scenario]');
    const scenario = ctx.load(ctx.args[1] ?? 'seed');
    if (typeof scenario === 'number') return scenario;
    const profile = ctx.string('profile') ?? scenario.profile;
    if (!ctx.checkProfile(scenario, profile)) return EXIT_USAGE;
    const at = ctx.string('at');
    const steps = stepsUpTo(scenario, at);
    if (typeof steps === 'string') return ctx.usage(steps);
    const problem = exportTargetProblem(dir);
    if (problem !== null) return ctx.usage(problem);
    let stats = { dirs: 0, files: 0, links: 0 };
    let failure: string | null = null;
    runScenario({ ...scenario, steps }, profile, {
      inspect: (kernel) => {
        try {
          stats = exportTree(kernel, dir);
        } catch (e) {
          failure = e instanceof Error ? e.message : String(e);
        }
      },
    });
    if (failure !== null) {
      ctx.io.stderr.write(`sim export: writing ${dir} failed: ${failure}\n`);
      return 1;
    }
    ctx.io.stderr.write(
      `sim export: /sys of ${scenario.name} (${profile}, ${at === undefined ? 'after the last step' : `after step ${at}`}) written to ${dir}: ${stats.dirs} directories, ${stats.files} files, ${stats.links} links\n`,
    );
    return EXIT_OK;
  },
};
