import { EACCES, EIO, type Kernel, PAGE_SIZE } from '@sim/core';
import type { FsStat, FuseFs } from '@sim/fuse';

const O_ACCMODE = 3;
const O_WRONLY = 1;
const O_RDWR = 2;
const decoder = new TextDecoder();

/** What the live /sys does besides answering: each write, and the kernel's death. */
export interface SysfsFsHooks {
  /**
   * Runs one write on the kernel (the default runs it straight away): `sim exec` records it as a step of the
   * trace. `op` returns the store's result, or null if the writing task died in an oops.
   */
  write?(path: string, text: string, op: () => number | null): number | null;
  /** The kernel died (first access after the oops). */
  onOops?(): void;
}

/**
 * The kernel's /sys as a FuseFs: every stat, readdir and readlink asks the live model; a read is the attribute's
 * show (binary attributes as their bytes); a write is one `kernel.sysfs.write()` whose return, a count or a
 * negative errno, is what the writer's write(2) returns. open(2) is refused with -EACCES for an access mode the
 * attribute's mode does not allow (kernfs_fop_open(): no show for reading, no store for writing). Once the kernel
 * has oopsed every access gets -EIO.
 */
export function sysfsFs(kernel: Kernel, hooks: SysfsFsHooks = {}): FuseFs {
  const at = (p: string) => (p === '/' ? '/sys' : `/sys${p}`);
  let dead = false;
  const alive = (): boolean => {
    if (kernel.oops === null) return true;
    if (!dead) {
      dead = true;
      hooks.onOops?.();
    }
    return false;
  };
  return {
    stat(p) {
      if (!alive()) return -EIO;
      const st = kernel.sysfs.stat(at(p));
      if (typeof st === 'number') return st;
      const out: FsStat =
        st.type === 'file'
          ? { type: 'file', mode: st.mode, size: st.size ?? PAGE_SIZE }
          : { type: st.type, mode: st.mode };
      return out;
    },
    readdir(p) {
      if (!alive()) return -EIO;
      return kernel.sysfs.list(at(p));
    },
    readlink(p) {
      if (!alive()) return -EIO;
      return kernel.sysfs.readlink(at(p));
    },
    open(p, flags) {
      if (!alive()) return -EIO;
      const st = kernel.sysfs.stat(at(p));
      if (typeof st === 'number') return st;
      const acc = flags & O_ACCMODE;
      const wantRead = acc !== O_WRONLY;
      const wantWrite = acc === O_WRONLY || acc === O_RDWR;
      if ((wantRead && (st.mode & 0o444) === 0) || (wantWrite && (st.mode & 0o222) === 0)) return -EACCES;
      return 0;
    },
    read(p) {
      if (!alive()) return -EIO;
      return kernel.sysfs.readBytes(at(p));
    },
    write(p, data) {
      if (!alive()) return -EIO;
      const path = at(p);
      const text = decoder.decode(data);
      const op = () => kernel.sysfs.write(path, text);
      const ret = hooks.write === undefined ? op() : hooks.write(path, text, op);
      // The writing task died in the oops: its write(2) never returns in the kernel; here the writer gets -EIO.
      if (ret === null) {
        alive();
        return -EIO;
      }
      return ret;
    },
  };
}
