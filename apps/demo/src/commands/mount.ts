import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { FuseMount } from '@sim/fuse';
import { FORMATS, render } from '../format/render.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from '../io.ts';
import { liveUnavailable, oopsText, recordingHooks, stepsUpTo } from '../machine/live.ts';
import { sysfsFs } from '../machine/sysfs-fs.ts';
import { runScenarioLive } from '../run/run.ts';
import type { Scenario } from '../scenario/types.ts';
import { type CommandContext, type CommandSpec, PLUGIN_OPTION } from './command.ts';
import { textWidth } from './width.ts';

/** True when a program is on PATH. */
export function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** The options of the commands that serve a live kernel (sim mount, sim exec). */
export const LIVE_OPTIONS: CommandSpec['options'] = {
  at: { type: 'string', value: 'STEP', help: 'run only the first STEP steps before serving (0: the boot only)' },
  profile: { type: 'string', value: 'P', help: "kernel behaviour (default: the scenario's profile)" },
  plugin: PLUGIN_OPTION,
};

/**
 * What sim mount and sim exec check before booting: the profile, `--at`, and that this machine can serve a FUSE
 * mount (exec also needs unshare). Returns the profile and steps to run, or the exit status after saying why not.
 */
export function liveStart(
  ctx: CommandContext,
  scenario: Scenario,
  command: 'mount' | 'exec',
): { readonly profile: string; readonly steps: Scenario['steps'] } | number {
  const profile = ctx.string('profile') ?? scenario.profile;
  if (!ctx.checkProfile(scenario, profile)) return EXIT_USAGE;
  const steps = stepsUpTo(scenario, ctx.string('at'));
  if (typeof steps === 'string') return ctx.usage(steps);
  const missing = liveUnavailable(command === 'exec', onPath);
  if (missing !== null) {
    ctx.io.stderr.write(`sim ${command}: ${missing}\n`);
    return EXIT_FAILED;
  }
  return { profile, steps };
}

/** `sim mount MNT [scenario]`: the live kernel's /sys as a FUSE filesystem until interrupted. */
export const mountCommand: CommandSpec = {
  name: 'mount',
  args: '<mountpoint> [<scenario>]',
  maxArgs: 2,
  summary: "serve a live kernel's /sys at a mount point (FUSE)",
  description:
    "Boots the scenario's machine (default: seed), runs its steps, and serves its /sys at MOUNTPOINT (an existing directory) until SIGINT or SIGTERM: every read is the attribute's show, every write goes to the kernel and its negative errno comes back to the writer (so `echo x > …/bind` prints 'No such device'), links are real symlinks, cache timeouts are zero. When the kernel oopses the oops is printed, every access gets EIO and the mount is removed. Then the trace (the steps, and each write through the mount as a step) is printed in the chosen format. Needs /dev/fuse and root (or unshare -rm). `lspci -O sysfs.path=MOUNTPOINT/bus/pci` reads it directly; for tools that hard-code /sys use sim exec.",
  options: LIVE_OPTIONS,
  formats: FORMATS,
  async run(ctx) {
    const mnt = ctx.args[0];
    if (mnt === undefined) return ctx.usage('name the mount point: sim mount MOUNTPOINT [scenario]');
    let isDir = false;
    try {
      isDir = statSync(mnt).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir) return ctx.usage(`mount point '${mnt}' is not a directory; create it first (mkdir -p ${mnt})`);
    const scenario = ctx.load(ctx.args[1] ?? 'seed');
    if (typeof scenario === 'number') return scenario;
    const live = liveStart(ctx, scenario, 'mount');
    if (typeof live === 'number') return live;
    const { profile, steps } = live;
    const { io } = ctx;
    let mountError: string | null = null;
    const run = await runScenarioLive({ ...scenario, steps }, profile, async (kernel, record) => {
      let stop!: (why: string) => void;
      const stopped = new Promise<string>((r) => {
        stop = r;
      });
      const hooks = recordingHooks(record, () => stop('oops'));
      const fs = sysfsFs(kernel, {
        ...hooks,
        write: (path, text, op) => {
          const ret = hooks.write!(path, text, op);
          if (kernel.oops !== null) stop('oops');
          return ret;
        },
      });
      let m: FuseMount;
      try {
        m = FuseMount.mount(mnt, fs, { source: `sim:${scenario.name}` });
      } catch (e) {
        mountError = (e as Error).message;
        return false;
      }
      const onSignal = (sig: string) => () => stop(sig);
      const int = onSignal('SIGINT');
      const term = onSignal('SIGTERM');
      process.once('SIGINT', int);
      process.once('SIGTERM', term);
      io.stderr.write(
        `sim mount: /sys of ${scenario.name} (${profile}) at ${mnt}; Ctrl-C (SIGINT) or SIGTERM unmounts\n`,
      );
      void m.done.then((why) => stop(why));
      const why = await stopped;
      process.off('SIGINT', int);
      process.off('SIGTERM', term);
      if (why === 'oops' && kernel.oops !== null) {
        io.stderr.write(
          `sim mount: the kernel died; every access now fails with EIO. Unmounting.\n${oopsText(kernel.oops)}`,
        );
      }
      await m.close();
      io.stderr.write(`sim mount: ${mnt} unmounted (${why})\n`);
      return why !== 'oops';
    });
    if (mountError !== null) {
      io.stderr.write(`sim mount: ${mountError}\n`);
      return EXIT_FAILED;
    }
    io.stdout.write(render(run, ctx.format, { style: ctx.style, verbose: false, width: textWidth(io) }));
    return run.ok ? EXIT_OK : EXIT_FAILED;
  },
};
