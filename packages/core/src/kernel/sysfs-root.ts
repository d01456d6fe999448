/**
 * The sysfs root: the /sys tree a kernel shows (bus, devices, class, kernel, module), the directories under
 * /sys/devices that hold devices without a parent of their own (platform, pci0000:00, ...), and the sysfs API
 * handed to users and plugins: reads, writes run as one operation each (a write to sysfs is a system call), and
 * entries made or removed by a plugin's setup journaled for its undo. The file system itself (lookups, attributes,
 * links) is fs/; this is the kernel's mount of it. Models sysfs_init() (fs/sysfs/mount.c) with the top-level
 * ksets of drivers/base (devices_init(), buses_init(), classes_init() in drivers/base/core.c, bus.c, class.c).
 *
 * It takes the whole kernel (the composition, KernelImpl, by type only), since the device directories it makes do.
 */
import { DeviceContainer } from '../base/core.ts';
import { SimError, show } from '../errors/sim-error.ts';
import { type KernfsNode, StaticDir, ViewDir } from '../fs/kernfs.ts';
import { moduleDir } from '../fs/module-dir.ts';
import { Sysfs } from '../fs/sysfs.ts';
import type { SysfsApi } from './kernel.ts';
import type { KernelImpl } from './kernel-impl.ts';
import type { Sleepable } from './sched.ts';

/** A sysfs write's arguments, checked before the operation runs: misuse must not reach the kernel (and kill it). */
function checkWrite(path: unknown, text: unknown): void {
  if (typeof text !== 'string') {
    throw new SimError('SIM_ERR_SYSFS_BAD_TEXT', `sysfs write to ${show(path)} needs a string, got ${show(text)}`);
  }
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new SimError(
      'SIM_ERR_SYSFS_BAD_PATH',
      `sysfs paths are absolute, got ${show(path)}; write one such as '/sys/bus/pci/drivers_probe'`,
    );
  }
}

/** The /sys of one kernel. */
export class SysfsRoot {
  /** The file system under /sys. */
  readonly fs: Sysfs;
  /** The sysfs API of `kernel.sysfs`. */
  readonly api: SysfsApi;
  /** Devices directly under /sys/devices. */
  readonly topContainer: DeviceContainer;
  readonly sysClass = new StaticDir();
  readonly sysKernel = new StaticDir();
  private readonly containers = new Map<string, DeviceContainer>();

  constructor(private readonly k: KernelImpl) {
    this.topContainer = new DeviceContainer(k);
    this.fs = new Sysfs(this.build(), (message) => k.warn('fs/sysfs/dir.c', message));
    this.api = this.makeApi();
  }

  /** The directory under /sys/devices that holds devices without a parent of their own (e.g. 'platform'). */
  container(name: string | null): DeviceContainer {
    if (name === null) return this.topContainer;
    let c = this.containers.get(name);
    if (c === undefined) {
      c = new DeviceContainer(this.k);
      this.containers.set(name, c);
    }
    return c;
  }

  private build(): StaticDir {
    const k = this.k;
    const root = new StaticDir();
    const containers = this.containers;
    const top = this.topContainer;
    root.set(
      'bus',
      new ViewDir(() => ({}), null, {
        lookup: (name) => k.busesByName.get(name)?.sysfsDir(),
        list: () => [...k.busesByName.keys()],
      }),
    );
    root.set(
      'devices',
      new ViewDir(
        () => {
          const own: Record<string, KernfsNode> = {};
          for (const [name, c] of containers) own[name] = c.dir;
          return own;
        },
        top,
        { lookup: (name) => top.dir.lookup(name), list: () => top.dir.list() },
      ),
    );
    root.set('class', this.sysClass);
    root.set('kernel', this.sysKernel);
    root.set(
      'module',
      moduleDir(() => k.busesByName.values()),
    );
    return root;
  }

  /** A sysfs entry made: its removal is the undo. */
  private journaledAdd(path: string, ret: number): number {
    if (ret === 0) this.k.journalUndo(() => this.fs.remove(path));
    return ret;
  }

  /** A write(2) to sysfs as a sleepable path: a task's system call (the API's write runs it to completion). */
  *writeGen(path: string, text: string): Sleepable<number | null> {
    checkWrite(path, text);
    const ret = yield* this.k.opGen('write', String(path), () => this.fs.write(path, text));
    if (this.k.tracer.enabled) this.k.tracer.emit({ type: 'sysfs', what: 'write', path, text, ret });
    return ret;
  }

  private makeApi(): SysfsApi {
    const k = this.k;
    const fs = this.fs;
    return {
      read: (path) => {
        const ret = fs.read(path);
        if (k.tracer.enabled)
          k.tracer.emit({
            type: 'sysfs',
            what: 'read',
            path,
            text: typeof ret === 'string' ? ret : '',
            ret: typeof ret === 'string' ? ret.length : ret,
          });
        return ret;
      },
      write: (path, text) => {
        checkWrite(path, text);
        const ret = k.op('write', String(path), () => fs.write(path, text));
        if (k.tracer.enabled) k.tracer.emit({ type: 'sysfs', what: 'write', path, text, ret });
        return ret;
      },
      readBytes: (path) => fs.readBytes(path),
      readlink: (path) => fs.readlink(path),
      realpath: (path) => fs.realpath(path),
      list: (path) => fs.list(path),
      stat: (path) => fs.stat(path),
      exists: (path) => fs.exists(path),
      createDir: (path) => {
        k.checkUsable();
        return this.journaledAdd(path, fs.createDir(path));
      },
      createFile: (path, file) => {
        k.checkUsable();
        return this.journaledAdd(path, fs.createFile(path, file));
      },
      createLink: (path, target) => {
        k.checkUsable();
        return this.journaledAdd(path, fs.createLink(path, target));
      },
      remove: (path) => {
        k.checkUsable();
        const taken = fs.detach(path);
        if (typeof taken === 'number') return taken;
        k.journalUndo(() => fs.attach(path, taken));
        return 0;
      },
    };
  }
}
