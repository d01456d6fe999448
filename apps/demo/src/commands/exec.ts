import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FuseMount } from '@sim/fuse';
import { builtinPath } from '../builtins.ts';
import { FORMATS, render } from '../format/render.ts';
import { EXIT_FAILED } from '../io.ts';
import { oopsText, recordingHooks } from '../machine/live.ts';
import { sysfsFs } from '../machine/sysfs-fs.ts';
import { runScenarioLive } from '../run/run.ts';
import type { CommandSpec } from './command.ts';
import { LIVE_OPTIONS, liveStart } from './mount.ts';
import { textWidth } from './width.ts';

/**
 * What runs in the private mount namespace before CMD: the live /sys (fd 3) over /sys, a scratch directory over
 * /etc/driverctl.d (driverctl's persistence), and a modprobe that, as the real one does for a module already
 * loaded, succeeds when /sys/module/<module> exists (sim's drivers cannot be loaded from disk).
 */
const SETUP = `set -e
mount -t fuse -o "$SIM_FUSE_OPTS" "$SIM_FUSE_SOURCE" /sys
exec 3<&-
if [ -d /etc/driverctl.d ]; then mount --bind "$SIM_SCRATCH/driverctl.d" /etc/driverctl.d; fi
for m in /usr/sbin/modprobe /sbin/modprobe; do
  if [ -f "$m" ] && [ ! -L "$m" ]; then mount --bind "$SIM_SCRATCH/modprobe" "$m"; fi
done
set +e
exec "$@"
`;

const MODPROBE = `#!/bin/sh
# sim exec's modprobe: a module the simulated kernel has loaded is there already (success, as modprobe says for a
# loaded module); sim cannot load one from disk.
for a in "$@"; do case "$a" in -*) ;; *) m=$(echo "$a" | tr - _); [ -d "/sys/module/$m" ] && exit 0; echo "modprobe: FATAL: Module $a not found in the simulated kernel (sim exec loads no modules)." >&2; exit 1;; esac; done
exit 1
`;

/** `sim exec [scenario] -- CMD …`: CMD in a private mount namespace with the live /sys, then the trace. */
export const execCommand: CommandSpec = {
  name: 'exec',
  args: '[<scenario>] -- <command> [<arg>...]',
  maxArgs: Number.MAX_SAFE_INTEGER,
  summary: 'run a real program against the live kernel, then print the trace',
  description:
    "Boots the scenario's machine (default: seed; the first argument is the scenario when it names a built-in or a .yaml file), runs its steps, then runs COMMAND in a private mount namespace (unshare --mount) where the live /sys is mounted over /sys (FUSE), a scratch directory over /etc/driverctl.d, and modprobe succeeds for a module the kernel has loaded. Every write COMMAND makes goes to the kernel and its errno back to COMMAND. /dev/vfio is not provided (its ioctls would need CUSE). Then prints the trace as sim run does, each write as a step. COMMAND's output goes to stdout with the text format, to stderr with the others. Exit: COMMAND's status (1 if the kernel died). The host's /sys is never touched. Needs /dev/fuse, unshare and root.",
  options: LIVE_OPTIONS,
  formats: FORMATS,
  async run(ctx) {
    const args = [...ctx.args];
    const first = args[0];
    const names =
      first !== undefined && (/\.ya?ml$/.test(first) || builtinPath(first) !== null) ? args.shift()! : 'seed';
    if (args.length === 0) return ctx.usage('name the command to run: sim exec [scenario] -- COMMAND [ARGS...]');
    const scenario = ctx.load(names);
    if (typeof scenario === 'number') return scenario;
    const live = liveStart(ctx, scenario, 'exec');
    if (typeof live === 'number') return live;
    const { profile, steps } = live;
    if ((process.getuid?.() ?? 0) !== 0) {
      ctx.io.stderr.write('sim exec: needs root to mount over /sys in its namespace (run it with sudo)\n');
      return EXIT_FAILED;
    }
    const { io } = ctx;
    const toolOut = ctx.format === 'text' ? io.stdout : io.stderr;
    const scratch = mkdtempSync(join(tmpdir(), 'sim-exec-'));
    let status = 0;
    let failure: string | null = null;
    try {
      writeFileSync(join(scratch, 'modprobe'), MODPROBE);
      chmodSync(join(scratch, 'modprobe'), 0o755);
      mkdirSync(join(scratch, 'driverctl.d'));
      const run = await runScenarioLive({ ...scenario, steps }, profile, async (kernel, record) => {
        let m: FuseMount;
        try {
          m = FuseMount.detached(
            sysfsFs(
              kernel,
              recordingHooks(record, () => {}),
            ),
          );
        } catch (e) {
          failure = (e as Error).message;
          return false;
        }
        const child = spawn(
          'unshare',
          ['--mount', '--propagation', 'private', 'sh', '-c', SETUP, 'sim-exec', ...args],
          {
            stdio: ['ignore', 'pipe', 'pipe', m.descriptor],
            env: {
              ...process.env,
              SIM_FUSE_OPTS: FuseMount.mountOptions(),
              SIM_FUSE_SOURCE: `sim:${scenario.name}`,
              SIM_SCRATCH: scratch,
            },
          },
        );
        child.stdout?.on('data', (c: Buffer) => toolOut.write(c));
        child.stderr?.on('data', (c: Buffer) => io.stderr.write(c));
        status = await new Promise<number>((resolve) => {
          child.on('error', (e) => {
            failure = `cannot run unshare: ${e.message}`;
            resolve(EXIT_FAILED);
          });
          child.on('close', (code, signal) =>
            // Killed by a signal: 128 + its number, as a shell reports it.
            resolve(code ?? (signal === null ? EXIT_FAILED : 128 + (constants.signals[signal] ?? 0))),
          );
        });
        await m.close();
        if (kernel.oops !== null)
          io.stderr.write(`sim exec: the kernel died; every access got EIO after it.\n${oopsText(kernel.oops)}`);
        return status === 0 && kernel.oops === null;
      });
      if (failure !== null) {
        io.stderr.write(`sim exec: ${failure}\n`);
        return EXIT_FAILED;
      }
      io.stdout.write(render(run, ctx.format, { style: ctx.style, verbose: false, width: textWidth(io) }));
      return status !== 0 ? status : run.oops !== null ? EXIT_FAILED : 0;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  },
};
