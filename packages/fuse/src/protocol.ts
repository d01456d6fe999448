/**
 * The FUSE wire protocol (kernel side: include/uapi/linux/fuse.h, Documentation/filesystems/fuse.rst): the
 * subset a read/write filesystem of directories, files and symlinks needs. Every request is a fuse_in_header and
 * an opcode's body; every reply is a fuse_out_header (with a negative errno, or 0 and the opcode's reply struct).
 * All fields are little-endian on the machines this runs on (the protocol uses host byte order).
 */

/** The protocol version this server speaks (7.31: what Linux 5.4 and later accept as the reply size of INIT). */
export const FUSE_KERNEL_VERSION = 7;
export const FUSE_KERNEL_MINOR_VERSION = 31;
/** The oldest minor with the 64-byte fuse_init_out and 88-byte fuse_attr this server writes. */
export const FUSE_MIN_MINOR = 23;

/** Opcodes (enum fuse_opcode). */
export const FUSE_LOOKUP = 1;
export const FUSE_FORGET = 2;
export const FUSE_GETATTR = 3;
export const FUSE_SETATTR = 4;
export const FUSE_READLINK = 5;
export const FUSE_OPEN = 14;
export const FUSE_READ = 15;
export const FUSE_WRITE = 16;
export const FUSE_STATFS = 17;
export const FUSE_RELEASE = 18;
export const FUSE_FLUSH = 25;
export const FUSE_INIT = 26;
export const FUSE_OPENDIR = 27;
export const FUSE_READDIR = 28;
export const FUSE_RELEASEDIR = 29;
export const FUSE_ACCESS = 34;
export const FUSE_INTERRUPT = 36;
export const FUSE_DESTROY = 38;
export const FUSE_BATCH_FORGET = 42;

/** FOPEN_DIRECT_IO: every read and write of the open file comes to the server (sizes need not be known). */
export const FOPEN_DIRECT_IO = 1 << 0;
/** FATTR_SIZE in fuse_setattr_in.valid: the setattr is a truncate. */
export const FATTR_SIZE = 1 << 3;
/** The root directory's node id. */
export const FUSE_ROOT_ID = 1;

/** sizeof(struct fuse_in_header) and sizeof(struct fuse_out_header). */
export const IN_HEADER_SIZE = 40;
export const OUT_HEADER_SIZE = 16;
/** sizeof(struct fuse_attr), fuse_entry_out, fuse_attr_out, fuse_init_out, fuse_read_in, fuse_write_in. */
export const ATTR_SIZE = 88;
export const ENTRY_OUT_SIZE = 40 + ATTR_SIZE;
export const ATTR_OUT_SIZE = 16 + ATTR_SIZE;
export const INIT_OUT_SIZE = 64;
export const WRITE_IN_SIZE = 40;
/** What one read of /dev/fuse may need: the largest write (max_write) and its headers. */
export const MAX_WRITE = 128 * 1024;
export const REQUEST_BUFFER_SIZE = MAX_WRITE + 4096;

/** File types of st_mode. */
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
/** d_type values of a dirent. */
export const DT_DIR = 4;
export const DT_REG = 8;
export const DT_LNK = 10;

/** A decoded request: the fuse_in_header and the body after it. */
export interface Request {
  readonly len: number;
  readonly opcode: number;
  readonly unique: bigint;
  readonly nodeid: bigint;
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
  readonly body: Uint8Array;
}

/** Why bytes are not a request (a short read, a length that does not match). */
export class ProtocolError extends Error {}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Decodes one request as read(2) of /dev/fuse returned it. */
export function decodeRequest(buf: Uint8Array): Request {
  if (buf.length < IN_HEADER_SIZE)
    throw new ProtocolError(`a request of ${buf.length} bytes is shorter than its header`);
  const v = view(buf);
  const len = v.getUint32(0, true);
  if (len !== buf.length) throw new ProtocolError(`a request says it has ${len} bytes but ${buf.length} were read`);
  return {
    len,
    opcode: v.getUint32(4, true),
    unique: v.getBigUint64(8, true),
    nodeid: v.getBigUint64(16, true),
    uid: v.getUint32(24, true),
    gid: v.getUint32(28, true),
    pid: v.getUint32(32, true),
    body: buf.subarray(IN_HEADER_SIZE),
  };
}

/** Encodes a request (what the kernel sends; for tests and tools). */
export function encodeRequest(r: Omit<Request, 'len'>): Uint8Array {
  const out = new Uint8Array(IN_HEADER_SIZE + r.body.length);
  const v = view(out);
  v.setUint32(0, out.length, true);
  v.setUint32(4, r.opcode, true);
  v.setBigUint64(8, r.unique, true);
  v.setBigUint64(16, r.nodeid, true);
  v.setUint32(24, r.uid, true);
  v.setUint32(28, r.gid, true);
  v.setUint32(32, r.pid, true);
  out.set(r.body, IN_HEADER_SIZE);
  return out;
}

/** A reply: fuse_out_header with `error` (0 or a negative errno) and the payload. */
export function encodeReply(unique: bigint, error: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const body = error === 0 ? payload : new Uint8Array(0);
  const out = new Uint8Array(OUT_HEADER_SIZE + body.length);
  const v = view(out);
  v.setUint32(0, out.length, true);
  v.setInt32(4, error, true);
  v.setBigUint64(8, unique, true);
  out.set(body, OUT_HEADER_SIZE);
  return out;
}

/** A decoded reply (for tests). */
export function decodeReply(buf: Uint8Array): { len: number; error: number; unique: bigint; payload: Uint8Array } {
  const v = view(buf);
  return {
    len: v.getUint32(0, true),
    error: v.getInt32(4, true),
    unique: v.getBigUint64(8, true),
    payload: buf.subarray(OUT_HEADER_SIZE),
  };
}

/** fuse_init_in: the kernel's version and flags. */
export function decodeInitIn(body: Uint8Array): { major: number; minor: number; maxReadahead: number; flags: number } {
  const v = view(body);
  return {
    major: v.getUint32(0, true),
    minor: v.getUint32(4, true),
    maxReadahead: v.getUint32(8, true),
    flags: v.getUint32(12, true),
  };
}

/** fuse_init_out: our version (the kernel's minor if older than ours), no optional features, max_write. */
export function encodeInitOut(minor: number, maxReadahead: number): Uint8Array {
  const out = new Uint8Array(INIT_OUT_SIZE);
  const v = view(out);
  v.setUint32(0, FUSE_KERNEL_VERSION, true);
  v.setUint32(4, minor, true);
  v.setUint32(8, maxReadahead, true);
  v.setUint32(12, 0, true); // flags: none (no atomic O_TRUNC: a truncating open comes as SETATTR)
  v.setUint16(16, 16, true); // max_background
  v.setUint16(18, 12, true); // congestion_threshold
  v.setUint32(20, MAX_WRITE, true);
  v.setUint32(24, 1, true); // time_gran: 1 ns
  return out;
}

/** What a node is, as stat shows it. */
export interface Attr {
  readonly ino: bigint;
  /** st_mode: type and permission bits. */
  readonly mode: number;
  readonly size: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  /** Seconds since the epoch, for atime, mtime and ctime. */
  readonly time: number;
}

/** struct fuse_attr. */
export function encodeAttr(a: Attr, out: Uint8Array = new Uint8Array(ATTR_SIZE), at = 0): Uint8Array {
  const v = view(out);
  v.setBigUint64(at, a.ino, true);
  v.setBigUint64(at + 8, BigInt(a.size), true);
  v.setBigUint64(at + 16, BigInt(Math.ceil(a.size / 512)), true);
  for (const off of [24, 32, 40]) v.setBigUint64(at + off, BigInt(a.time), true);
  v.setUint32(at + 60, a.mode, true);
  v.setUint32(at + 64, a.nlink, true);
  v.setUint32(at + 68, a.uid, true);
  v.setUint32(at + 72, a.gid, true);
  v.setUint32(at + 80, 4096, true); // blksize
  return out;
}

/** struct fuse_attr, decoded (for tests). */
export function decodeAttr(b: Uint8Array, at = 0): Attr {
  const v = view(b);
  return {
    ino: v.getBigUint64(at, true),
    size: Number(v.getBigUint64(at + 8, true)),
    time: Number(v.getBigUint64(at + 32, true)),
    mode: v.getUint32(at + 60, true),
    nlink: v.getUint32(at + 64, true),
    uid: v.getUint32(at + 68, true),
    gid: v.getUint32(at + 72, true),
  };
}

/** fuse_entry_out with zero entry and attribute timeouts: the kernel asks again at every use. */
export function encodeEntryOut(nodeid: bigint, a: Attr): Uint8Array {
  const out = new Uint8Array(ENTRY_OUT_SIZE);
  view(out).setBigUint64(0, nodeid, true);
  // generation, entry_valid, attr_valid and their nsec stay 0.
  encodeAttr(a, out, 40);
  return out;
}

/** fuse_attr_out with a zero attribute timeout. */
export function encodeAttrOut(a: Attr): Uint8Array {
  const out = new Uint8Array(ATTR_OUT_SIZE);
  encodeAttr(a, out, 16);
  return out;
}

/** fuse_open_out. */
export function encodeOpenOut(fh: bigint, openFlags: number): Uint8Array {
  const out = new Uint8Array(16);
  const v = view(out);
  v.setBigUint64(0, fh, true);
  v.setUint32(8, openFlags, true);
  return out;
}

/** fuse_open_in: the open(2) flags. */
export function decodeOpenIn(body: Uint8Array): { flags: number } {
  return { flags: view(body).getUint32(0, true) };
}

/** fuse_read_in (also READDIR's). */
export function decodeReadIn(body: Uint8Array): { fh: bigint; offset: number; size: number } {
  const v = view(body);
  return { fh: v.getBigUint64(0, true), offset: Number(v.getBigUint64(8, true)), size: v.getUint32(16, true) };
}

/** fuse_write_in and the data after it. */
export function decodeWriteIn(body: Uint8Array): { fh: bigint; offset: number; data: Uint8Array } {
  const v = view(body);
  const size = v.getUint32(16, true);
  if (WRITE_IN_SIZE + size > body.length) throw new ProtocolError(`a WRITE of ${size} bytes carries fewer`);
  return {
    fh: v.getBigUint64(0, true),
    offset: Number(v.getBigUint64(8, true)),
    data: body.subarray(WRITE_IN_SIZE, WRITE_IN_SIZE + size),
  };
}

/** fuse_write_out. */
export function encodeWriteOut(size: number): Uint8Array {
  const out = new Uint8Array(8);
  view(out).setUint32(0, size, true);
  return out;
}

/** fuse_release_in / fuse_getattr_in / fuse_flush_in carry the file handle first or at 8: only release's is used. */
export function decodeReleaseIn(body: Uint8Array): { fh: bigint } {
  return { fh: view(body).getBigUint64(0, true) };
}

/** fuse_setattr_in: which fields are set, and the new size. */
export function decodeSetattrIn(body: Uint8Array): { valid: number; size: number } {
  const v = view(body);
  return { valid: v.getUint32(0, true), size: Number(v.getBigUint64(16, true)) };
}

/** FORGET's nlookup. */
export function decodeForgetIn(body: Uint8Array): { nlookup: bigint } {
  return { nlookup: view(body).getBigUint64(0, true) };
}

/** BATCH_FORGET's entries. */
export function decodeBatchForgetIn(body: Uint8Array): { nodeid: bigint; nlookup: bigint }[] {
  const v = view(body);
  const count = v.getUint32(0, true);
  const out: { nodeid: bigint; nlookup: bigint }[] = [];
  for (let i = 0; i < count && 8 + i * 16 + 16 <= body.length; i++) {
    out.push({ nodeid: v.getBigUint64(8 + i * 16, true), nlookup: v.getBigUint64(16 + i * 16, true) });
  }
  return out;
}

/** A name in a request body (LOOKUP): the bytes up to the NUL. */
export function decodeName(body: Uint8Array): string {
  const nul = body.indexOf(0);
  return Buffer.from(nul === -1 ? body : body.subarray(0, nul)).toString('utf8');
}

/** One struct fuse_dirent (8-byte aligned): its size, or 0 when it does not fit in `room`. */
export function encodeDirent(
  out: Uint8Array,
  at: number,
  room: number,
  e: { ino: bigint; off: number; type: number; name: string },
): number {
  const name = Buffer.from(e.name, 'utf8');
  const size = (24 + name.length + 7) & ~7;
  if (size > room) return 0;
  const v = view(out);
  v.setBigUint64(at, e.ino, true);
  v.setBigUint64(at + 8, BigInt(e.off), true);
  v.setUint32(at + 16, name.length, true);
  v.setUint32(at + 20, e.type, true);
  out.set(name, at + 24);
  out.fill(0, at + 24 + name.length, at + size);
  return size;
}

/** The dirents in a READDIR reply (for tests). */
export function decodeDirents(b: Uint8Array): { ino: bigint; off: number; type: number; name: string }[] {
  const v = view(b);
  const out: { ino: bigint; off: number; type: number; name: string }[] = [];
  for (let at = 0; at + 24 <= b.length; ) {
    const namelen = v.getUint32(at + 16, true);
    out.push({
      ino: v.getBigUint64(at, true),
      off: Number(v.getBigUint64(at + 8, true)),
      type: v.getUint32(at + 20, true),
      name: Buffer.from(b.subarray(at + 24, at + 24 + namelen)).toString('utf8'),
    });
    at += (24 + namelen + 7) & ~7;
  }
  return out;
}

/** fuse_kstatfs in fuse_statfs_out (80 bytes): an empty filesystem with 4 KiB blocks. */
export function encodeStatfsOut(): Uint8Array {
  const out = new Uint8Array(80);
  const v = view(out);
  v.setUint32(40, 4096, true); // bsize
  v.setUint32(44, 255, true); // namelen
  v.setUint32(48, 4096, true); // frsize
  return out;
}
