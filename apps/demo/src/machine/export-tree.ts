import { chmodSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kernel } from '@sim/core';

/** What an export wrote. */
export interface ExportStats {
  readonly dirs: number;
  readonly files: number;
  readonly links: number;
}

/** Why a directory cannot take an export, or null when it can (missing, or an empty directory). */
export function exportTargetProblem(dir: string): string | null {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dir);
  } catch {
    return null;
  }
  if (!st.isDirectory()) return `'${dir}' exists and is not a directory; name a new or empty directory`;
  if (readdirSync(dir).length > 0) return `'${dir}' is not empty; name a new or empty directory (nothing was written)`;
  return null;
}

/**
 * Writes the kernel's /sys as a static tree under `dir` (which stands for /sys): directories, each readable
 * attribute's bytes as one read(2) returns them (a write-only attribute as an empty file), links as the relative
 * symlinks sysfs shows. File modes are the attributes' modes, so `lspci -O sysfs.path=DIR/bus/pci` and scripts
 * that test `-f`/`-L`/`-d` see what they see in /sys. Links are written, never followed, so the walk ends.
 */
export function exportTree(kernel: Kernel, dir: string): ExportStats {
  let dirs = 0;
  let files = 0;
  let links = 0;
  mkdirSync(dir, { recursive: true });
  const walk = (sys: string, out: string): void => {
    const names = kernel.sysfs.list(sys);
    if (typeof names === 'number') return;
    for (const name of names) {
      const path = `${sys}/${name}`;
      const to = join(out, name);
      const st = kernel.sysfs.stat(path);
      if (typeof st === 'number') continue;
      if (st.type === 'link') {
        const target = kernel.sysfs.readlink(path);
        if (typeof target === 'number') continue;
        symlinkSync(target, to);
        links++;
      } else if (st.type === 'dir') {
        mkdirSync(to);
        dirs++;
        walk(path, to);
      } else {
        const bytes = (st.mode & 0o444) === 0 ? new Uint8Array(0) : kernel.sysfs.readBytes(path);
        writeFileSync(to, typeof bytes === 'number' ? new Uint8Array(0) : bytes);
        chmodSync(to, st.mode);
        files++;
      }
    }
  };
  walk('/sys', dir);
  return { dirs, files, links };
}
