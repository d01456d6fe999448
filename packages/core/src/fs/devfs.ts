import { EBADF, EEXIST, ENOENT, ENOTTY } from '../constants/errno.ts';
import { SimError, show } from '../errors/sim-error.ts';
import type { DevfsApi, FileOperations, OpenFile } from '../kernel/kernel.ts';
import type { KernelImpl } from '../kernel/kernel-impl.ts';
import type { Sleepable } from '../kernel/sched.ts';

/** A file descriptor argument: an integer (any integer; one that is not open is the kernel's -EBADF). */
function checkFd(fd: unknown, who: string): void {
  if (typeof fd !== 'number' || !Number.isInteger(fd)) {
    throw new SimError(
      'SIM_ERR_DEV_BAD_FD',
      `${who} takes a file descriptor, an integer from open() such as 3, got ${show(fd)}`,
    );
  }
}

interface Open {
  readonly file: OpenFile;
  readonly fops: FileOperations;
}

/** sim's /dev: character device nodes (cdev + devtmpfs) and the open files of the user's one process. */
export class Devfs implements DevfsApi {
  private readonly nodes = new Map<string, FileOperations>();
  private readonly files = new Map<number, Open>();

  constructor(private readonly k: KernelImpl) {}

  register(name: string, fops: FileOperations): number {
    this.k.checkUsable();
    if (
      typeof name !== 'string' ||
      name === '' ||
      name.startsWith('/') ||
      name.split('/').some((c) => c === '' || c === '..')
    ) {
      throw new SimError('SIM_ERR_DEV_BAD_PATH', `a /dev node name is relative, such as 'vfio/7', got ${show(name)}`);
    }
    if (typeof fops !== 'object' || fops === null) {
      throw new SimError(
        'SIM_ERR_DEV_BAD_PATH',
        `/dev/${name} needs file operations { open?, release?, ioctl? }, got ${show(fops)}`,
      );
    }
    if (this.nodes.has(name)) return -EEXIST;
    this.nodes.set(name, fops);
    this.k.journalUndo(() => this.nodes.delete(name));
    return 0;
  }

  unregister(name: string): number {
    this.k.checkUsable();
    const fops = this.nodes.get(name);
    if (fops === undefined || !this.nodes.delete(name)) return -ENOENT;
    this.k.journalUndo(() => this.nodes.set(name, fops));
    return 0;
  }

  list(): string[] {
    return [...this.nodes.keys()].map((n) => `/dev/${n}`).sort();
  }

  exists(path: string): boolean {
    return typeof path === 'string' && this.nodes.has(path.replace(/^\/dev\//, ''));
  }

  open(path: string): number | null {
    return this.k.sched.runDirect(this.openGen(path));
  }

  /** open(2) as a sleepable path (a task's system call). */
  *openGen(path: string): Sleepable<number | null> {
    if (typeof path !== 'string' || !path.startsWith('/dev/')) {
      throw new SimError('SIM_ERR_DEV_BAD_PATH', `open() takes a /dev path such as '/dev/vfio/7', got ${show(path)}`);
    }
    return yield* this.k.opGen('open', path, () => {
      const fops = this.nodes.get(path.slice('/dev/'.length));
      if (fops === undefined) return -ENOENT;
      let fd = 3;
      while (this.files.has(fd)) fd++;
      const file: OpenFile = { fd, path, private: undefined };
      const ret = fops.open?.(file) ?? 0;
      if (ret < 0) return ret;
      this.files.set(fd, { file, fops });
      return fd;
    });
  }

  ioctl(fd: number, cmd: string, arg?: unknown): number | null {
    return this.k.sched.runDirect(this.ioctlGen(fd, cmd, arg));
  }

  /** ioctl(2) as a sleepable path. */
  *ioctlGen(fd: number, cmd: string, arg?: unknown): Sleepable<number | null> {
    if (typeof cmd !== 'string' || cmd === '') {
      throw new SimError(
        'SIM_ERR_DEV_BAD_PATH',
        `ioctl() takes a command name such as 'VFIO_GROUP_GET_STATUS', got ${show(cmd)}`,
      );
    }
    checkFd(fd, 'ioctl()');
    return yield* this.k.opGen('ioctl', `${fd} ${cmd}`, () => {
      const open = this.files.get(fd);
      if (open === undefined) return -EBADF;
      if (open.fops.ioctl === undefined) return -ENOTTY;
      return open.fops.ioctl(open.file, cmd, arg);
    });
  }

  close(fd: number): number | null {
    return this.k.sched.runDirect(this.closeGen(fd));
  }

  /** close(2) as a sleepable path. */
  *closeGen(fd: number): Sleepable<number | null> {
    checkFd(fd, 'close()');
    return yield* this.k.opGen('close', String(fd), () => {
      const open = this.files.get(fd);
      if (open === undefined) return -EBADF;
      this.files.delete(fd);
      open.fops.release?.(open.file);
      return 0;
    });
  }

  openFiles(): { fd: number; path: string }[] {
    return [...this.files.values()].map((o) => ({ fd: o.file.fd, path: o.file.path }));
  }

  /** Models anon_inode_getfd(), fs/anon_inodes.c: an open file without a node, for kernel code inside an operation. */
  anonInodeGetfd(name: string, fops: FileOperations, priv: unknown): number {
    this.k.checkUsable();
    if (typeof name !== 'string' || name === '' || typeof fops !== 'object' || fops === null) {
      throw new SimError(
        'SIM_ERR_DEV_BAD_PATH',
        `anonInodeGetfd() takes a name such as '[vfio-device]' and file operations, got ${show(name)}, ${show(fops)}`,
      );
    }
    let fd = 3;
    while (this.files.has(fd)) fd++;
    const file: OpenFile = { fd, path: `anon_inode:${name}`, private: priv };
    this.files.set(fd, { file, fops });
    return fd;
  }

  /** The open file behind a descriptor (for drivers that take an fd argument, such as a vfio container). */
  file(fd: number): OpenFile | undefined {
    return this.files.get(fd)?.file;
  }
}
