import { EACCES, EEXIST, EINVAL, EIO, EISDIR, ELOOP, ENOENT, ENOTDIR } from '../constants/errno.ts';
import { SimError, show } from '../errors/sim-error.ts';
import type { Sleepable } from '../kernel/sched.ts';
import { type DirNode, type FileNode, type KernfsNode, link, relativeLink, StaticDir } from './kernfs.ts';

/** PAGE_SIZE on the machines sim models (4 KiB pages). */
export const PAGE_SIZE = 4096;

/** What `stat` tells about a sysfs path. */
export interface SysfsStat {
  readonly type: 'dir' | 'file' | 'link';
  /** Permission bits (files: the attribute's mode; directories 0755; links 0777). */
  readonly mode: number;
  /** A binary attribute's size (stat shows PAGE_SIZE for a text attribute, as sysfs does; absent here). */
  readonly size?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MAX_LINK_HOPS = 40;

interface Resolved {
  node: KernfsNode;
  /** Canonical path of the node (links in the middle followed; the last one followed only if asked). */
  path: string;
}

/**
 * sim's /sys. Reads and writes behave as the kernel's VFS and kernfs make them behave for a root shell: a missing
 * path is -ENOENT, creating a file in sysfs is -EACCES, opening a write-only attribute for reading (or a read-only
 * one for writing) is -EACCES, a directory is -EISDIR, a write longer than a page is cut to PAGE_SIZE, an empty
 * write returns 0 without calling the store. The paths and the store functions' returns are the kernel's.
 */
export class Sysfs {
  /** The directory /sys. */
  readonly root: StaticDir;
  private readonly onWarn: (message: string) => void;
  /** Creation faults in place (kernel.inject.sysfs()), null when none. */
  private createFaults: ((path: string) => number)[] | null = null;

  constructor(root: StaticDir, onWarn: (message: string) => void) {
    this.root = root;
    this.onWarn = onWarn;
  }

  /** `cat path`: the attribute's text, or a negative errno. */
  read(path: string): string | number {
    const r = this.resolve(path, true);
    if (typeof r === 'number') return r;
    const { node } = r;
    if (node.kind === 'dir') return -EISDIR;
    if (node.kind !== 'file') return -EINVAL;
    if ((node.mode & 0o444) === 0) return -EACCES;
    if (node.show === undefined) {
      if (node.bytes === undefined) return -EIO;
      const raw = node.bytes();
      return typeof raw === 'number' ? raw : String.fromCharCode(...raw);
    }
    const out = node.show();
    if (typeof out === 'number') return out;
    const bytes = encoder.encode(out);
    return bytes.length > PAGE_SIZE ? decoder.decode(bytes.subarray(0, PAGE_SIZE)) : out;
  }

  /**
   * The bytes a read(2) of the whole file returns: a binary attribute's bytes as they are, a text attribute's text
   * in UTF-8 (cut to PAGE_SIZE), or a negative errno.
   */
  readBytes(path: string): Uint8Array | number {
    const r = this.resolve(path, true);
    if (typeof r === 'number') return r;
    const { node } = r;
    if (node.kind === 'file' && node.bytes !== undefined && (node.mode & 0o444) !== 0) return node.bytes();
    const text = this.read(path);
    if (typeof text === 'number') return text;
    return encoder.encode(text).subarray(0, PAGE_SIZE);
  }

  /**
   * `echo text > path` (pass the text with its newline, as echo writes it): the bytes written, or a negative errno.
   * The store gets at most PAGE_SIZE bytes, as a C string (cut at the first NUL).
   */
  write(path: string, text: string): number | Sleepable<number> {
    if (typeof text !== 'string') {
      throw new SimError('SIM_ERR_SYSFS_BAD_TEXT', `sysfs write to ${show(path)} needs a string, got ${show(text)}`);
    }
    const r = this.resolve(path, true, true);
    if (typeof r === 'number') return r;
    const { node } = r;
    if (node.kind === 'dir') return -EISDIR;
    if (node.kind !== 'file') return -EINVAL;
    if ((node.mode & 0o222) === 0) return -EACCES;
    let bytes = encoder.encode(text);
    if (bytes.length === 0) return 0;
    if (bytes.length > PAGE_SIZE) bytes = bytes.subarray(0, PAGE_SIZE);
    if (node.store === undefined) return -EIO;
    const nul = bytes.indexOf(0);
    const buf = decoder.decode(nul === -1 ? bytes : bytes.subarray(0, nul));
    return node.store(buf, bytes.length);
  }

  /** `readlink path`: the link's target relative to the link, as sysfs shows it, or a negative errno. */
  readlink(path: string): string | number {
    const r = this.resolve(path, false);
    if (typeof r === 'number') return r;
    if (r.node.kind !== 'link') return -EINVAL;
    return relativeLink(r.path, r.node.target());
  }

  /** `realpath path`: the canonical absolute path, links followed, or a negative errno. */
  realpath(path: string): string | number {
    const r = this.resolve(path, true);
    return typeof r === 'number' ? r : r.path;
  }

  /** `ls path`: the names in a directory (sorted), or a negative errno. */
  list(path: string): string[] | number {
    const r = this.resolve(path, true);
    if (typeof r === 'number') return r;
    if (r.node.kind !== 'dir') return -ENOTDIR;
    return r.node.list();
  }

  /** `stat path` (without following a final link), or a negative errno. */
  stat(path: string): SysfsStat | number {
    const r = this.resolve(path, false);
    if (typeof r === 'number') return r;
    const { node } = r;
    if (node.kind === 'file')
      return node.size === undefined
        ? { type: 'file', mode: node.mode }
        : { type: 'file', mode: node.mode, size: node.size };
    return node.kind === 'dir' ? { type: 'dir', mode: 0o755 } : { type: 'link', mode: 0o777 };
  }

  /** True when the path exists (a final link counts even if it dangles). */
  exists(path: string): boolean {
    return typeof this.resolve(path, false) !== 'number';
  }

  /** Models sysfs_create_dir_ns(): 0, -EEXIST (with the kernel's warning), -ENOENT without a parent. */
  createDir(path: string): number {
    return this.add(path, new StaticDir());
  }

  /** Models sysfs_create_file(): an attribute file with a mode and show/store functions. */
  createFile(path: string, file: Omit<FileNode, 'kind'>): number {
    return this.add(path, { kind: 'file', ...file });
  }

  /** Models sysfs_create_link(): a symlink at `path` to the absolute sysfs path `target`. */
  createLink(path: string, target: string): number {
    if (typeof target !== 'string' || !target.startsWith('/sys/')) {
      throw new SimError(
        'SIM_ERR_SYSFS_BAD_PATH',
        `link target ${show(target)} is not an absolute /sys path; pass one such as '/sys/kernel/iommu_groups/3'`,
      );
    }
    return this.add(path, link(target));
  }

  /** Models sysfs_remove_dir() / sysfs_remove_file() / sysfs_remove_link(): 0 or -ENOENT. */
  remove(path: string): number {
    const taken = this.detach(path);
    return typeof taken === 'number' ? taken : 0;
  }

  /** remove(), handing back the entry removed (so that a failed plugin setup can put it back with attach()). */
  detach(path: string): KernfsNode | number {
    const { parent, name } = this.split(path);
    const dir = this.resolve(parent, true);
    if (typeof dir === 'number') return dir;
    if (dir.node.kind !== 'dir') return -ENOTDIR;
    const extras = dir.node.extras?.();
    const node = extras?.lookup(name);
    if (extras === undefined || node === undefined) return -ENOENT;
    extras.delete(name);
    return node;
  }

  /** Puts an entry detach() took back at `path` (0, or a negative errno as add's). */
  attach(path: string, node: KernfsNode): number {
    return this.add(path, node);
  }

  /**
   * @internal kernel.inject.sysfs(): `fault(path)` is asked before each creation and fails it with a negative errno
   * (0: create). Returns the removal (0, or -ENOENT when removed already).
   */
  addCreateFault(fault: (path: string) => number): () => number {
    this.createFaults = [...(this.createFaults ?? []), fault];
    return () => {
      const rest = (this.createFaults ?? []).filter((f) => f !== fault);
      const removed = rest.length !== (this.createFaults?.length ?? 0);
      this.createFaults = rest.length === 0 ? null : rest;
      return removed ? 0 : -ENOENT;
    };
  }

  private add(path: string, node: KernfsNode): number {
    const { parent, name } = this.split(path);
    const dir = this.resolve(parent, true);
    if (typeof dir === 'number') return dir;
    if (dir.node.kind !== 'dir') return -ENOTDIR;
    // An injected failure of the new node's allocation (kernfs_new_node(), failslab), before anything is looked at.
    for (const fault of this.createFaults ?? []) {
      const ret = fault(path);
      if (ret !== 0) return ret;
    }
    if (dir.node.lookup(name) !== undefined) {
      this.onWarn(`sysfs: cannot create duplicate filename '${path.slice('/sys'.length)}'`);
      return -EEXIST;
    }
    const extras = dir.node.extras?.();
    if (extras === undefined) return -EINVAL;
    extras.set(name, node);
    return 0;
  }

  private split(path: string): { parent: string; name: string } {
    this.checkPath(path);
    const at = path.replace(/\/+$/, '').lastIndexOf('/');
    const name = path.slice(at + 1).replace(/\/+$/, '');
    if (name === '' || name === '.' || name === '..') {
      throw new SimError(
        'SIM_ERR_SYSFS_BAD_PATH',
        `${show(path)} does not name an entry; end it with the new entry's name`,
      );
    }
    return { parent: path.slice(0, at) || '/', name };
  }

  private checkPath(path: unknown): asserts path is string {
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new SimError(
        'SIM_ERR_SYSFS_BAD_PATH',
        `sysfs paths are absolute, got ${show(path)}; write one such as '/sys/bus/pci/drivers_probe'`,
      );
    }
  }

  /**
   * Walks the path from /sys. Links in the middle are followed; the last one only with `follow`. With `creating`,
   * a missing last entry in an existing directory is -EACCES (sysfs directories have no create operation).
   */
  private resolve(path: string, follow: boolean, creating = false): Resolved | number {
    this.checkPath(path);
    let pending = path.split('/').filter((c) => c !== '' && c !== '.');
    let hops = 0;
    for (;;) {
      // Every walk starts at '/', which holds only 'sys' here.
      let stack: string[] = [];
      let node: KernfsNode | undefined;
      let restart: string[] | null = null;
      for (let i = 0; i < pending.length; i++) {
        const name = pending[i]!;
        if (name === '..') {
          stack = stack.slice(0, -1);
          node = undefined;
          continue;
        }
        const dir: KernfsNode | undefined = stack.length === 0 ? undefined : (node ?? this.nodeAt(stack));
        let child: KernfsNode | undefined;
        if (stack.length === 0) {
          child = name === 'sys' ? this.root : undefined;
        } else if (dir === undefined || dir.kind !== 'dir') {
          return -ENOTDIR;
        } else {
          child = dir.lookup(name);
        }
        const last = i === pending.length - 1;
        if (child === undefined) return creating && last ? -EACCES : -ENOENT;
        if (child.kind === 'link' && (!last || follow)) {
          if (++hops > MAX_LINK_HOPS) return -ELOOP;
          restart = [...child.target().split('/').filter(Boolean), ...pending.slice(i + 1)];
          break;
        }
        if (!last && child.kind !== 'dir') return -ENOTDIR;
        stack.push(name);
        node = child;
      }
      if (restart !== null) {
        pending = restart;
        continue;
      }
      if (stack.length === 0) return -ENOENT;
      return { node: node ?? this.nodeAt(stack)!, path: `/${stack.join('/')}` };
    }
  }

  /** The node at an already-canonical component list (used after '..'). */
  private nodeAt(stack: string[]): KernfsNode | undefined {
    let node: KernfsNode | undefined = stack[0] === 'sys' ? this.root : undefined;
    for (const name of stack.slice(1)) {
      if (node === undefined || node.kind !== 'dir') return undefined;
      node = (node as DirNode).lookup(name);
    }
    return node;
  }
}
