import {
  type Attr,
  DT_DIR,
  DT_LNK,
  DT_REG,
  decodeBatchForgetIn,
  decodeForgetIn,
  decodeInitIn,
  decodeName,
  decodeOpenIn,
  decodeReadIn,
  decodeReleaseIn,
  decodeRequest,
  decodeSetattrIn,
  decodeWriteIn,
  encodeAttrOut,
  encodeDirent,
  encodeEntryOut,
  encodeInitOut,
  encodeOpenOut,
  encodeReply,
  encodeStatfsOut,
  encodeWriteOut,
  FATTR_SIZE,
  FOPEN_DIRECT_IO,
  FUSE_ACCESS,
  FUSE_BATCH_FORGET,
  FUSE_DESTROY,
  FUSE_FLUSH,
  FUSE_FORGET,
  FUSE_GETATTR,
  FUSE_INIT,
  FUSE_INTERRUPT,
  FUSE_KERNEL_MINOR_VERSION,
  FUSE_KERNEL_VERSION,
  FUSE_LOOKUP,
  FUSE_MIN_MINOR,
  FUSE_OPEN,
  FUSE_OPENDIR,
  FUSE_READ,
  FUSE_READDIR,
  FUSE_READLINK,
  FUSE_RELEASE,
  FUSE_RELEASEDIR,
  FUSE_ROOT_ID,
  FUSE_SETATTR,
  FUSE_STATFS,
  FUSE_WRITE,
  S_IFDIR,
  S_IFLNK,
  S_IFREG,
} from './protocol.ts';

// errno values the server itself answers with (asm-generic/errno-base.h, errno.h).
const ENOENT = 2;
const EIO = 5;
const EBADF = 9;
const EACCES = 13;
const EISDIR = 21;
const ENOSYS = 38;
const EPROTO = 71;

/** What a path is: a directory, a file (its mode and size as stat shows them) or a symlink. */
export interface FsStat {
  readonly type: 'dir' | 'file' | 'link';
  /** Permission bits. */
  readonly mode: number;
  /** stat's size (a file's; sysfs shows 4096 for a text attribute). */
  readonly size?: number;
}

/**
 * A path-based filesystem to serve. Paths are absolute within it ('/', '/bus/pci'); every answer is a value or a
 * negative errno, which the reader or writer gets as the result of its system call.
 */
export interface FuseFs {
  stat(path: string): FsStat | number;
  readdir(path: string): readonly string[] | number;
  readlink(path: string): string | number;
  /** open(2) of a file: 0, or a negative errno (e.g. -EACCES for a mode the file does not allow). */
  open(path: string, flags: number): number;
  /** The file's bytes as one read from offset 0 returns them (the server slices later reads of the same open). */
  read(path: string): Uint8Array | number;
  /** One write(2): the count written, or a negative errno. */
  write(path: string, data: Uint8Array, offset: number): number;
}

/** What the server tells its owner about. */
export interface ServerEvents {
  /** INIT was answered: the protocol version in use. */
  onInit?(major: number, minor: number): void;
  /** DESTROY: the filesystem is being unmounted. */
  onDestroy?(): void;
}

interface Node {
  readonly path: string;
  lookups: bigint;
}

interface Handle {
  readonly path: string;
  /** A file's bytes from its first read (kernfs' seq_file keeps one show per open the same way). */
  data: Uint8Array | null;
  /** A directory's names, from opendir. */
  names: readonly string[] | null;
}

const O_ACCMODE = 3;
const O_WRONLY = 1;
const O_RDWR = 2;

/**
 * The FUSE protocol over a FuseFs: one request in, one reply out (none for FORGET, BATCH_FORGET and INTERRUPT).
 * Node ids are handed out per path on LOOKUP and dropped when the kernel forgets them; entry and attribute
 * timeouts are zero, so every path walk and stat comes back here and sees the filesystem as it is now.
 */
export class FuseServer {
  private readonly nodes = new Map<bigint, Node>();
  private readonly ids = new Map<string, bigint>();
  private readonly handles = new Map<bigint, Handle>();
  private nextId = BigInt(FUSE_ROOT_ID) + 1n;
  private nextFh = 1n;
  private minor = 0;
  private readonly time = Math.floor(Date.now() / 1000);

  constructor(
    private readonly fs: FuseFs,
    private readonly events: ServerEvents = {},
  ) {
    this.nodes.set(BigInt(FUSE_ROOT_ID), { path: '/', lookups: 1n });
    this.ids.set('/', BigInt(FUSE_ROOT_ID));
  }

  /** The protocol minor version agreed at INIT (0 before). */
  get protocolMinor(): number {
    return this.minor;
  }

  /** Node ids the kernel holds (the root included). */
  get liveNodes(): number {
    return this.nodes.size;
  }

  /** Open file and directory handles. */
  get openHandles(): number {
    return this.handles.size;
  }

  /** Handles one request; the reply to write to /dev/fuse, or null when the opcode has none. */
  handle(buf: Uint8Array): Uint8Array | null {
    let req: ReturnType<typeof decodeRequest>;
    try {
      req = decodeRequest(buf);
    } catch {
      return null;
    }
    const { opcode, unique, nodeid, body } = req;
    const reply = (error: number, payload?: Uint8Array) => encodeReply(unique, error, payload);
    try {
      switch (opcode) {
        case FUSE_INIT: {
          const init = decodeInitIn(body);
          if (init.major !== FUSE_KERNEL_VERSION || init.minor < FUSE_MIN_MINOR) return reply(-EPROTO);
          this.minor = Math.min(init.minor, FUSE_KERNEL_MINOR_VERSION);
          this.events.onInit?.(FUSE_KERNEL_VERSION, this.minor);
          return reply(0, encodeInitOut(this.minor, init.maxReadahead));
        }
        case FUSE_DESTROY:
          this.events.onDestroy?.();
          return reply(0);
        case FUSE_FORGET:
          this.forget(nodeid, decodeForgetIn(body).nlookup);
          return null;
        case FUSE_BATCH_FORGET:
          for (const f of decodeBatchForgetIn(body)) this.forget(f.nodeid, f.nlookup);
          return null;
        case FUSE_INTERRUPT:
          // Every request is answered at once; there is nothing to interrupt.
          return null;
        case FUSE_STATFS:
          return reply(0, encodeStatfsOut());
        case FUSE_ACCESS:
          // ENOSYS: the kernel stops asking and lets access(2) through; open() below checks the modes.
          return reply(-ENOSYS);
      }
      const node = this.nodes.get(nodeid);
      if (node === undefined) return reply(-ENOENT);
      switch (opcode) {
        case FUSE_LOOKUP: {
          const path = join(node.path, decodeName(body));
          const st = this.fs.stat(path);
          if (typeof st === 'number') return reply(st);
          const id = this.remember(path);
          return reply(0, encodeEntryOut(id, this.attr(id, st)));
        }
        case FUSE_GETATTR:
        case FUSE_SETATTR: {
          const st = this.fs.stat(node.path);
          if (typeof st === 'number') return reply(st);
          if (opcode === FUSE_SETATTR) {
            const set = decodeSetattrIn(body);
            // A truncating open (`echo x > file`) arrives as a size change: attributes have no length to cut,
            // so it is accepted and does nothing, as sysfs ignores O_TRUNC.
            if ((set.valid & ~FATTR_SIZE & 0x1ff) !== 0 && st.type !== 'file') return reply(-EACCES);
          }
          return reply(0, encodeAttrOut(this.attr(nodeid, st)));
        }
        case FUSE_READLINK: {
          const target = this.fs.readlink(node.path);
          return typeof target === 'number' ? reply(target) : reply(0, Buffer.from(target, 'utf8'));
        }
        case FUSE_OPEN: {
          const st = this.fs.stat(node.path);
          if (typeof st === 'number') return reply(st);
          if (st.type === 'dir') return reply(-EISDIR);
          const ret = this.fs.open(node.path, decodeOpenIn(body).flags);
          if (ret < 0) return reply(ret);
          const fh = this.nextFh++;
          this.handles.set(fh, { path: node.path, data: null, names: null });
          return reply(0, encodeOpenOut(fh, FOPEN_DIRECT_IO));
        }
        case FUSE_OPENDIR: {
          const names = this.fs.readdir(node.path);
          if (typeof names === 'number') return reply(names);
          const fh = this.nextFh++;
          this.handles.set(fh, { path: node.path, data: null, names: ['.', '..', ...names] });
          return reply(0, encodeOpenOut(fh, 0));
        }
        case FUSE_READ: {
          const r = decodeReadIn(body);
          const h = this.handles.get(r.fh);
          if (h === undefined) return reply(-EBADF);
          if (h.data === null || r.offset === 0) {
            const data = this.fs.read(h.path);
            if (typeof data === 'number') return reply(data);
            h.data = data;
          }
          return reply(
            0,
            h.data.subarray(Math.min(r.offset, h.data.length), Math.min(r.offset + r.size, h.data.length)),
          );
        }
        case FUSE_WRITE: {
          const w = decodeWriteIn(body);
          const h = this.handles.get(w.fh);
          if (h === undefined) return reply(-EBADF);
          const ret = this.fs.write(h.path, w.data, w.offset);
          return ret < 0 ? reply(ret) : reply(0, encodeWriteOut(ret));
        }
        case FUSE_READDIR: {
          const r = decodeReadIn(body);
          const h = this.handles.get(r.fh);
          if (h === undefined || h.names === null) return reply(-EBADF);
          const out = new Uint8Array(r.size);
          let used = 0;
          for (let i = r.offset; i < h.names.length; i++) {
            const name = h.names[i]!;
            const type = name === '.' || name === '..' ? 'dir' : this.typeOf(join(h.path, name));
            const size = encodeDirent(out, used, r.size - used, {
              ino: 0xffffffffn,
              off: i + 1,
              type: type === 'dir' ? DT_DIR : type === 'link' ? DT_LNK : DT_REG,
              name,
            });
            if (size === 0) break;
            used += size;
          }
          return reply(0, out.subarray(0, used));
        }
        case FUSE_RELEASE:
        case FUSE_RELEASEDIR:
          this.handles.delete(decodeReleaseIn(body).fh);
          return reply(0);
        case FUSE_FLUSH:
          return reply(0);
        default:
          return reply(-ENOSYS);
      }
    } catch {
      // A bug in the filesystem must not hang the caller: it gets -EIO.
      return reply(-EIO);
    }
  }

  private typeOf(path: string): FsStat['type'] | null {
    const st = this.fs.stat(path);
    return typeof st === 'number' ? null : st.type;
  }

  private remember(path: string): bigint {
    let id = this.ids.get(path);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(path, id);
      this.nodes.set(id, { path, lookups: 0n });
    }
    const node = this.nodes.get(id)!;
    node.lookups += 1n;
    return id;
  }

  private forget(nodeid: bigint, n: bigint): void {
    if (nodeid === BigInt(FUSE_ROOT_ID)) return;
    const node = this.nodes.get(nodeid);
    if (node === undefined) return;
    node.lookups -= n;
    if (node.lookups <= 0n) {
      this.nodes.delete(nodeid);
      this.ids.delete(node.path);
    }
  }

  private attr(ino: bigint, st: FsStat): Attr {
    const type = st.type === 'dir' ? S_IFDIR : st.type === 'link' ? S_IFLNK : S_IFREG;
    return {
      ino,
      mode: type | (st.mode & 0o7777),
      size: st.size ?? 0,
      nlink: st.type === 'dir' ? 2 : 1,
      uid: 0,
      gid: 0,
      time: this.time,
    };
  }
}

/** The access mode of open(2) flags: may it read, may it write. */
export function accessOf(flags: number): { read: boolean; write: boolean } {
  const acc = flags & O_ACCMODE;
  return { read: acc !== O_WRONLY, write: acc === O_WRONLY || acc === O_RDWR };
}

function join(dir: string, name: string): string {
  if (name === '' || name === '.' || name === '..' || name.includes('/')) return `${dir}/\0invalid`;
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}
