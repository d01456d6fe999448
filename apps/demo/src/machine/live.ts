import type { Kernel, Oops } from '@sim/core';
import { fuseUnavailable } from '@sim/fuse';
import type { LiveRecorder } from '../run/run.ts';
import type { Scenario } from '../scenario/types.ts';
import type { SysfsFsHooks } from './sysfs-fs.ts';

/** The oops as the kernel prints it: the headline and the call path. */
export function oopsText(oops: Oops): string {
  return `${oops.message}\nCall path:\n${oops.callPath.map((f) => `  ${f}\n`).join('')}`;
}

/** Hooks that record each write through the mount as a step (`echo TEXT > PATH`) and report the oops once. */
export function recordingHooks(record: LiveRecorder, onOops: () => void): SysfsFsHooks {
  return {
    write: (path, text, op) => {
      const shown = text.replace(/\n$/, '').replace(/\0/g, '\\0');
      const ret = record(`echo ${shown === '' ? '' : `${shown} `}> ${path}`, { verb: 'echo', text, path }, op);
      return ret;
    },
    onOops,
  };
}

/** Why `sim mount`/`sim exec` cannot run here, or null. */
export function liveUnavailable(needUnshare: boolean, which: (cmd: string) => boolean): string | null {
  const fuse = fuseUnavailable();
  if (fuse !== null) return `this machine cannot serve a FUSE mount: ${fuse}`;
  if (!which('mount')) return 'util-linux mount is not on PATH (Debian: mount)';
  if (needUnshare && !which('unshare')) return 'unshare is not on PATH (Debian: util-linux)';
  return null;
}

/** Resolves once the kernel has died (checked after each write), for commands that stop then. */
export function watchOops(kernel: Kernel): { check(): void; died: Promise<void> } {
  let resolve!: () => void;
  const died = new Promise<void>((r) => {
    resolve = r;
  });
  return {
    check: () => {
      if (kernel.oops !== null) resolve();
    },
    died,
  };
}

/** The scenario's steps up to `--at STEP` (all without it), or the message for a bad STEP. */
export function stepsUpTo(scenario: Scenario, at: string | undefined): Scenario['steps'] | string {
  if (at === undefined) return scenario.steps;
  if (!/^\d+$/.test(at) || Number(at) > scenario.steps.length) {
    return `--at takes a step number from 0 to ${scenario.steps.length} (scenario '${scenario.name}' has ${scenario.steps.length} steps), got '${at}'`;
  }
  return scenario.steps.slice(0, Number(at));
}
