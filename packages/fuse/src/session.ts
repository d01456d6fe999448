import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { REQUEST_BUFFER_SIZE } from './protocol.ts';
import { type FuseFs, FuseServer, type ServerEvents } from './server.ts';

/** Why this machine cannot serve a FUSE mount, or null when it can. */
export function fuseUnavailable(): string | null {
  if (!existsSync('/dev/fuse'))
    return 'there is no /dev/fuse (load the fuse module, or give a container --device /dev/fuse)';
  try {
    closeSync(openSync('/dev/fuse', 'r+'));
  } catch (e) {
    return `/dev/fuse cannot be opened (${(e as Error).message}); run as root or inside unshare -rm`;
  }
  return null;
}

/**
 * Reads requests from /dev/fuse in a worker thread: a blocking read(2) there keeps the main thread free. Each
 * request goes to the main thread as its own buffer; the loop ends when the kernel says the mount is gone (ENODEV)
 * or the descriptor is closed.
 */
const READER = `
const { readSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const buf = Buffer.alloc(workerData.size);
const pause = new Int32Array(new SharedArrayBuffer(4));
for (;;) {
  let n;
  try {
    n = readSync(workerData.fd, buf, 0, buf.length, null);
  } catch (e) {
    // ENOENT: the request was interrupted before it was read; EINTR/EAGAIN: try again.
    if (e.code === 'ENOENT' || e.code === 'EINTR' || e.code === 'EAGAIN') continue;
    // EPERM: no mount uses the descriptor yet (another process mounts it): wait for it.
    if (e.code === 'EPERM') { Atomics.wait(pause, 0, 0, 2); continue; }
    parentPort.postMessage({ end: e.code === 'ENODEV' ? 'unmounted' : String(e.code || e.message) });
    break;
  }
  if (n === 0) { parentPort.postMessage({ end: 'eof' }); break; }
  const copy = new Uint8Array(n);
  copy.set(buf.subarray(0, n));
  parentPort.postMessage({ req: copy }, [copy.buffer]);
}
`;

export interface MountOptions extends ServerEvents {
  /** The filesystem's name in /proc/mounts (default 'sim'). */
  readonly source?: string;
  /** Let users other than the mounter in (allow_other; needs root). Default true when root. */
  readonly allowOther?: boolean;
}

/** Mount points of FUSE filesystems the process can see (from /proc/self/mounts). */
export function fuseMounts(): string[] {
  try {
    return readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' '))
      .filter((f) => f[2] === 'fuse' || f[2]?.startsWith('fuse.'))
      .map((f) => f[1]!.replace(/\\040/g, ' '));
  } catch {
    return [];
  }
}

/**
 * A FuseFs served at a mount point: /dev/fuse opened, `mount -t fuse -o fd=N,rootmode=40000,user_id,group_id`
 * (util-linux passes the options string to mount(2); no fusermount or libfuse), and requests answered on the main
 * thread as they come. `close()` unmounts (lazily, so a busy mount goes as soon as it is free) and stops.
 */
export class FuseMount {
  readonly server: FuseServer;
  private fd: number;
  private worker: Worker | null = null;
  private closed = false;
  /** Resolves when the serving ends: why (unmounted, closed, or the read error). */
  readonly done: Promise<string>;
  private finish!: (why: string) => void;

  private constructor(
    /** Where this process mounted it, or null when another process mounts the descriptor (detached()). */
    readonly mountpoint: string | null,
    fs: FuseFs,
    options: MountOptions,
  ) {
    this.server = new FuseServer(fs, options);
    this.done = new Promise((resolve) => {
      this.finish = resolve;
    });
    this.fd = openSync('/dev/fuse', 'r+');
  }

  /** The /dev/fuse descriptor (for a child process that mounts it: pass it as its fd 3). */
  get descriptor(): number {
    return this.fd;
  }

  /** The `-o` options of `mount -t fuse` for this descriptor when a child has it as fd 3. */
  static mountOptions(options: MountOptions = {}): string {
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    const opts = ['fd=3', 'rootmode=40000', `user_id=${uid}`, `group_id=${gid}`];
    if (options.allowOther ?? uid === 0) opts.push('allow_other');
    return opts.join(',');
  }

  /**
   * Serves `fs` on a fresh /dev/fuse descriptor that another process mounts (e.g. a child in its own mount
   * namespace running `mount -t fuse -o <mountOptions()> sim /sys` with the descriptor as its fd 3). Serving ends
   * when that mount goes away (the namespace ends) or on close().
   */
  static detached(fs: FuseFs, options: MountOptions = {}): FuseMount {
    const why = fuseUnavailable();
    if (why !== null) throw new Error(why);
    const m = new FuseMount(null, fs, options);
    m.start();
    return m;
  }

  /** Mounts `fs` at `mountpoint` and starts serving; a SimError-free Error saying what failed otherwise. */
  static mount(mountpoint: string, fs: FuseFs, options: MountOptions = {}): FuseMount {
    const why = fuseUnavailable();
    if (why !== null) throw new Error(why);
    const m = new FuseMount(mountpoint, fs, options);
    const opts = FuseMount.mountOptions(options);
    const r = spawnSync('mount', ['-t', 'fuse', '-o', opts, options.source ?? 'sim', mountpoint], {
      stdio: ['ignore', 'pipe', 'pipe', m.fd],
      encoding: 'utf8',
    });
    if (r.error !== undefined || r.status !== 0) {
      closeSync(m.fd);
      throw new Error(`mount -t fuse at ${mountpoint} failed: ${r.error?.message ?? r.stderr.trim()}`);
    }
    m.start();
    return m;
  }

  private start(): void {
    const w = new Worker(READER, { eval: true, workerData: { fd: this.fd, size: REQUEST_BUFFER_SIZE } });
    this.worker = w;
    w.on('message', (msg: { req?: Uint8Array; end?: string }) => {
      if (msg.req !== undefined) {
        const reply = this.server.handle(msg.req);
        if (reply !== null && !this.closed) {
          try {
            writeSync(this.fd, reply);
          } catch {
            // ENOENT: the request was interrupted and its caller gone; nothing to answer.
          }
        }
      } else if (msg.end !== undefined) {
        this.stop(msg.end);
      }
    });
    w.on('error', (e) => this.stop(`reader failed: ${e.message}`));
  }

  /** Unmounts (lazily) and stops serving. Safe to call more than once. */
  close(): Promise<string> {
    if (!this.closed) {
      if (this.mountpoint !== null) spawnSync('umount', ['-l', this.mountpoint], { stdio: 'ignore' });
      // The kernel ends the connection once the mount is gone; the reader's read returns ENODEV.
      setTimeout(() => this.stop('closed'), 2000).unref();
    }
    return this.done;
  }

  private stop(why: string): void {
    if (this.closed) return;
    this.closed = true;
    // The reader has ended (the mount is gone), waits for a mount that never came (stopped here), or is blocked
    // in read(2) on a busy lazy unmount: either way it must not keep the process alive.
    this.worker?.unref();
    if (why === 'closed') void this.worker?.terminate();
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.finish(why);
  }
}
