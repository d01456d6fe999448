import { fstatSync } from 'node:fs';
import { EXIT_USAGE } from '../io.ts';
import type { Scenario } from '../scenario/types.ts';
import { runShell } from '../shell/shell.ts';
import { type CommandSpec, INJECT_OPTION, PLUGIN_OPTION } from './command.ts';

/** `sim shell`: a prompt over a live kernel, booted from a scenario or empty. */
export const shellCommand: CommandSpec = {
  name: 'shell',
  args: '[<scenario>]',
  maxArgs: 1,
  summary: 'an interactive shell on a live kernel',
  description:
    "Boots the scenario's machine (or an empty one) and reads commands as a root shell on it would: echo ... > /sys/..., cat, ls, readlink, modprobe, rmmod, open, ioctl, close, dmesg, notify, inject; history; trace on|off; exit. Tab completes /sys paths. Reads stdin when it is not a terminal.",
  options: {
    profile: { type: 'string', value: 'P', help: "kernel behaviour (default: the scenario's profile, or v4.12)" },
    inject: INJECT_OPTION,
    plugin: PLUGIN_OPTION,
  },
  run(ctx) {
    const bad = stdinProblem(ctx.io.stdin);
    if (bad !== null) return ctx.usage(bad);
    let scenario: Scenario | null = null;
    if (ctx.args[0] !== undefined) {
      const s = ctx.load(ctx.args[0]);
      if (typeof s === 'number') return s;
      scenario = s;
    } else if (ctx.list('inject').length > 0) {
      return ctx.usage('--inject needs a scenario to inject into: sim shell <scenario> --inject SPEC');
    }
    const profile = ctx.string('profile') ?? scenario?.profile ?? 'v4.12';
    if (scenario !== null && !ctx.checkProfile(scenario, profile)) return EXIT_USAGE;
    return runShell(scenario, profile, ctx.io, ctx.style);
  },
};

/** Why stdin cannot be read as the shell's input (a directory), or null. Checked before anything boots. */
function stdinProblem(stdin: NodeJS.ReadableStream): string | null {
  const fd = (stdin as { fd?: unknown }).fd;
  if (typeof fd !== 'number') return null;
  try {
    if (fstatSync(fd).isDirectory()) {
      return 'stdin is a directory; give the shell a terminal, or a file of commands: sim shell [<scenario>] < FILE';
    }
  } catch {
    // A closed stdin reads as end of input: the shell boots and exits at once, as sh does.
  }
  return null;
}
