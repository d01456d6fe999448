/**
 * The nodes of sim's sysfs, after fs/kernfs: directories, attribute files and symlinks. Most directories are
 * views computed from the driver model on lookup (a device's directory holds nothing of its own), so a million
 * devices cost no sysfs memory beyond what the model keeps anyway.
 */

import type { Sleepable } from '../kernel/sched.ts';

/** An attribute's read side: the text `cat` prints, or a negative errno. */
export type ShowFn = () => string | number;
/**
 * An attribute's write side: gets the buffer (C string) and its byte count; returns count or a negative errno, or a
 * sleepable path giving it (a store that takes a device's lock: bind, unbind, remove ...).
 */
export type StoreFn = (buf: string, count: number) => number | Sleepable<number>;

export interface FileNode {
  readonly kind: 'file';
  /** Permission bits, as sysfs shows them (0644, 0200, 0444, ...). */
  readonly mode: number;
  readonly show?: ShowFn;
  readonly store?: StoreFn;
  /**
   * A binary attribute's read side (a bin_attribute such as a PCI device's `config`): its bytes, or a negative
   * errno. Such a file has no `show`; `size` is what stat reports (sysfs reports 4096 for text attributes).
   */
  readonly bytes?: () => Uint8Array | number;
  readonly size?: number;
}

export interface LinkNode {
  readonly kind: 'link';
  /** Absolute path of the target, e.g. /sys/bus/pci/drivers/vfio-pci. */
  target(): string;
}

export interface DirNode {
  readonly kind: 'dir';
  /** The child called `name`, or undefined. */
  lookup(name: string): KernfsNode | undefined;
  /** Child names, sorted as `ls` shows them. */
  list(): string[];
  /** Where sysfs_create_* add children: the directory's own static part, created on first use (none: undefined). */
  extras?(): StaticDir | undefined;
}

export type KernfsNode = FileNode | LinkNode | DirNode;

/** A file node. */
export function attr(mode: number, show?: ShowFn, store?: StoreFn): FileNode {
  return { kind: 'file', mode, show, store };
}

/** A link node to a fixed path. */
export function link(target: string): LinkNode {
  return { kind: 'link', target: () => target };
}

/** A directory whose children are kept (sysfs_create_dir and friends add to it). */
export class StaticDir implements DirNode {
  readonly kind = 'dir' as const;
  private readonly children = new Map<string, KernfsNode>();

  extras(): StaticDir {
    return this;
  }

  lookup(name: string): KernfsNode | undefined {
    return this.children.get(name);
  }

  list(): string[] {
    return [...this.children.keys()].sort();
  }

  get size(): number {
    return this.children.size;
  }

  has(name: string): boolean {
    return this.children.has(name);
  }

  set(name: string, node: KernfsNode): void {
    this.children.set(name, node);
  }

  delete(name: string): boolean {
    return this.children.delete(name);
  }
}

/**
 * A directory computed on lookup: `own` children first (attributes), then the extras added at run time, then
 * `more` (child devices and the like).
 */
export class ViewDir implements DirNode {
  readonly kind = 'dir' as const;
  constructor(
    private readonly own: () => Record<string, KernfsNode>,
    private readonly holder: { extra: StaticDir | null } | null,
    private readonly more?: { lookup(name: string): KernfsNode | undefined; list(): string[] },
  ) {}

  lookup(name: string): KernfsNode | undefined {
    const own = this.own();
    return (
      (Object.hasOwn(own, name) ? own[name] : undefined) ?? this.holder?.extra?.lookup(name) ?? this.more?.lookup(name)
    );
  }

  list(): string[] {
    const names = new Set(Object.keys(this.own()));
    for (const n of this.holder?.extra?.list() ?? []) names.add(n);
    for (const n of this.more?.list() ?? []) names.add(n);
    return [...names].sort();
  }

  extras(): StaticDir | undefined {
    if (this.holder === null) return undefined;
    this.holder.extra ??= new StaticDir();
    return this.holder.extra;
  }
}

/** sysfs_streq() of lib/string.c: equal, allowing one trailing newline on either side. */
export function sysfsStreq(a: string, b: string): boolean {
  if (a === b) return true;
  if (b.length === a.length + 1 && b.endsWith('\n') && b.startsWith(a)) return true;
  if (a.length === b.length + 1 && a.endsWith('\n') && a.startsWith(b)) return true;
  return false;
}

/** The relative path from the directory holding a link to its target, as readlink shows sysfs links. */
export function relativeLink(linkPath: string, target: string): string {
  const from = linkPath.split('/').filter(Boolean).slice(0, -1);
  const to = target.split('/').filter(Boolean);
  let common = 0;
  while (common < from.length && common < to.length && from[common] === to[common]) common++;
  return [...from.slice(common).map(() => '..'), ...to.slice(common)].join('/');
}
