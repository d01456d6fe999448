import {
  ATTR_OUT_SIZE,
  decodeAttr,
  decodeDirents,
  decodeReply,
  decodeRequest,
  ENTRY_OUT_SIZE,
  encodeRequest,
  FOPEN_DIRECT_IO,
  type FsStat,
  FUSE_BATCH_FORGET,
  FUSE_DESTROY,
  FUSE_FORGET,
  FUSE_GETATTR,
  FUSE_INIT,
  FUSE_LOOKUP,
  FUSE_OPEN,
  FUSE_OPENDIR,
  FUSE_READ,
  FUSE_READDIR,
  FUSE_READLINK,
  FUSE_RELEASE,
  FUSE_SETATTR,
  FUSE_STATFS,
  FUSE_WRITE,
  type FuseFs,
  FuseServer,
  INIT_OUT_SIZE,
  ProtocolError,
  S_IFDIR,
  S_IFLNK,
  S_IFREG,
} from '@sim/fuse';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const le = () => {
  const bytes: number[] = [];
  const api = {
    u32(n: number) {
      for (let i = 0; i < 4; i++) bytes.push((n >>> (8 * i)) & 0xff);
      return api;
    },
    u64(n: number | bigint) {
      let v = BigInt(n);
      for (let i = 0; i < 8; i++) {
        bytes.push(Number(v & 0xffn));
        v >>= 8n;
      }
      return api;
    },
    str(s: string) {
      bytes.push(...Buffer.from(s, 'utf8'), 0);
      return api;
    },
    raw(b: Uint8Array) {
      bytes.push(...b);
      return api;
    },
    done: () => new Uint8Array(bytes),
  };
  return api;
};

let unique = 100n;
const req = (opcode: number, nodeid: number | bigint, body: Uint8Array = new Uint8Array(0)) =>
  encodeRequest({ opcode, unique: unique++, nodeid: BigInt(nodeid), uid: 0, gid: 0, pid: 1, body });

/** A tiny filesystem: /, /a (0644 file), /w (0200 write-only file), /l -> a, /d (dir). */
function tiny(): { fs: FuseFs; writes: string[] } {
  const writes: string[] = [];
  const fs: FuseFs = {
    stat: (p) =>
      (
        ({
          '/': { type: 'dir', mode: 0o755 },
          '/d': { type: 'dir', mode: 0o755 },
          '/a': { type: 'file', mode: 0o644, size: 4096 },
          '/w': { type: 'file', mode: 0o200, size: 4096 },
          '/l': { type: 'link', mode: 0o777 },
        }) as Record<string, FsStat>
      )[p] ?? -2,
    readdir: (p) => (p === '/' ? ['a', 'd', 'l', 'w'] : p === '/d' ? [] : -20),
    readlink: (p) => (p === '/l' ? 'a' : -22),
    open: (p, flags) => ((flags & 3) === 0 && p === '/w' ? -13 : 0),
    read: (p) => (p === '/a' ? new TextEncoder().encode('0x10de\n') : -5),
    write: (p, data) => {
      writes.push(`${p}:${Buffer.from(data).toString('latin1')}`);
      return p === '/w' && data[0] === 0x78 ? -19 : data.length;
    },
  };
  return { fs, writes };
}

function init(server: FuseServer, minor = 41) {
  return decodeReply(server.handle(req(FUSE_INIT, 0, le().u32(7).u32(minor).u32(131072).u32(0).done()))!);
}

function lookup(server: FuseServer, parent: number | bigint, name: string) {
  const r = decodeReply(server.handle(req(FUSE_LOOKUP, parent, le().str(name).done()))!);
  if (r.error !== 0) return { error: r.error, nodeid: 0n, attr: null };
  const v = new DataView(r.payload.buffer, r.payload.byteOffset);
  return {
    error: 0,
    nodeid: v.getBigUint64(0, true),
    entryValid: v.getBigUint64(16, true),
    attrValid: v.getBigUint64(24, true),
    attr: decodeAttr(r.payload, 40),
    size: r.payload.length,
  };
}

function open(server: FuseServer, nodeid: bigint, flags: number) {
  const r = decodeReply(server.handle(req(FUSE_OPEN, nodeid, le().u32(flags).u32(0).done()))!);
  const v = new DataView(r.payload.buffer, r.payload.byteOffset);
  return r.error !== 0
    ? { error: r.error, fh: 0n, flags: 0 }
    : { error: 0, fh: v.getBigUint64(0, true), flags: v.getUint32(8, true) };
}

const readIn = (fh: bigint, offset: number, size: number) =>
  le().u64(fh).u64(offset).u32(size).u32(0).u64(0).u32(0).u32(0).done();

describe('the wire format (include/uapi/linux/fuse.h)', () => {
  it('a request decodes as it was encoded; a short or inconsistent one is refused', () => {
    const r = encodeRequest({
      opcode: FUSE_LOOKUP,
      unique: 7n,
      nodeid: 1n,
      uid: 1000,
      gid: 100,
      pid: 42,
      body: le().str('bus').done(),
    });
    expect(r.length).toBe(40 + 4);
    const d = decodeRequest(r);
    expect({ ...d, body: Buffer.from(d.body).toString() }).toEqual({
      len: 44,
      opcode: FUSE_LOOKUP,
      unique: 7n,
      nodeid: 1n,
      uid: 1000,
      gid: 100,
      pid: 42,
      body: 'bus\0',
    });
    expect(() => decodeRequest(r.subarray(0, 39))).toThrow(ProtocolError);
    expect(() => decodeRequest(r.subarray(0, 43))).toThrow(/says it has 44 bytes but 43 were read/);
  });

  it('property: any header round-trips', () => {
    fc.assert(
      fc.property(
        fc.nat(60),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.uint8Array({ maxLength: 64 }),
        (opcode, u, n, body) => {
          const d = decodeRequest(encodeRequest({ opcode, unique: u, nodeid: n, uid: 0, gid: 0, pid: 0, body }));
          return (
            d.opcode === opcode && d.unique === u && d.nodeid === n && Buffer.from(d.body).equals(Buffer.from(body))
          );
        },
      ),
    );
  });
});

describe('FuseServer', () => {
  it('INIT: answers 7.min(kernel, 31) with a 64-byte fuse_init_out; refuses a kernel older than 7.23', () => {
    const s = new FuseServer(tiny().fs);
    const r = init(s);
    expect(r.error).toBe(0);
    expect(r.payload.length).toBe(INIT_OUT_SIZE);
    const v = new DataView(r.payload.buffer, r.payload.byteOffset);
    expect([v.getUint32(0, true), v.getUint32(4, true), v.getUint32(20, true)]).toEqual([7, 31, 131072]);
    expect(s.protocolMinor).toBe(31);
    expect(new DataView(init(new FuseServer(tiny().fs), 26).payload.buffer, 16 + 4).getUint32(0, true)).toBe(26);
    expect(init(new FuseServer(tiny().fs), 22).error).toBe(-71);
  });

  it('LOOKUP gives a node id, the attributes with their type bits, and zero timeouts; a missing name is -ENOENT', () => {
    const s = new FuseServer(tiny().fs);
    init(s);
    const a = lookup(s, 1, 'a');
    expect(a.size).toBe(ENTRY_OUT_SIZE);
    expect(a.entryValid).toBe(0n);
    expect(a.attrValid).toBe(0n);
    expect(a.attr!.mode).toBe(S_IFREG | 0o644);
    expect(a.attr!.size).toBe(4096);
    expect(lookup(s, 1, 'd').attr!.mode).toBe(S_IFDIR | 0o755);
    expect(lookup(s, 1, 'l').attr!.mode).toBe(S_IFLNK | 0o777);
    expect(lookup(s, 1, 'nope').error).toBe(-2);
    expect(lookup(s, 1, 'a').nodeid).toBe(a.nodeid);
    const g = decodeReply(s.handle(req(FUSE_GETATTR, a.nodeid, le().u32(0).u32(0).u64(0).done()))!);
    expect(g.payload.length).toBe(ATTR_OUT_SIZE);
    expect(decodeAttr(g.payload, 16).mode).toBe(S_IFREG | 0o644);
    expect(decodeReply(s.handle(req(FUSE_GETATTR, 999, le().u32(0).u32(0).u64(0).done()))!).error).toBe(-2);
  });

  it('FORGET and BATCH_FORGET drop node ids once every lookup is forgotten; they get no reply', () => {
    const s = new FuseServer(tiny().fs);
    init(s);
    const a = lookup(s, 1, 'a').nodeid;
    lookup(s, 1, 'a');
    const d = lookup(s, 1, 'd').nodeid;
    expect(s.liveNodes).toBe(3);
    expect(s.handle(req(FUSE_FORGET, a, le().u64(1).done()))).toBeNull();
    expect(s.liveNodes).toBe(3);
    expect(s.handle(req(FUSE_BATCH_FORGET, 0, le().u32(2).u32(0).u64(a).u64(1).u64(d).u64(1).done()))).toBeNull();
    expect(s.liveNodes).toBe(1);
  });

  it('READLINK gives the target; OPEN is direct I/O and goes through the filesystem (-EACCES for a write-only file read)', () => {
    const s = new FuseServer(tiny().fs);
    init(s);
    const l = lookup(s, 1, 'l').nodeid;
    expect(Buffer.from(decodeReply(s.handle(req(FUSE_READLINK, l))!).payload).toString()).toBe('a');
    const a = lookup(s, 1, 'a').nodeid;
    expect(open(s, a, 0).flags).toBe(FOPEN_DIRECT_IO);
    expect(open(s, lookup(s, 1, 'w').nodeid, 0).error).toBe(-13);
    expect(open(s, lookup(s, 1, 'd').nodeid, 0).error).toBe(-21);
  });

  it('READ slices one read of the file by offset; RELEASE drops the handle', () => {
    const s = new FuseServer(tiny().fs);
    init(s);
    const a = lookup(s, 1, 'a').nodeid;
    const { fh } = open(s, a, 0);
    const part = (off: number, n: number) =>
      Buffer.from(decodeReply(s.handle(req(FUSE_READ, a, readIn(fh, off, n)))!).payload).toString();
    expect(part(0, 4096)).toBe('0x10de\n');
    expect(part(2, 3)).toBe('10d');
    expect(part(7, 4096)).toBe('');
    expect(s.openHandles).toBe(1);
    expect(decodeReply(s.handle(req(FUSE_RELEASE, a, le().u64(fh).u32(0).u32(0).u64(0).done()))!).error).toBe(0);
    expect(s.openHandles).toBe(0);
    expect(decodeReply(s.handle(req(FUSE_READ, a, readIn(fh, 0, 10)))!).error).toBe(-9);
  });

  it('WRITE hands the bytes to the filesystem and returns its count or its negative errno; SETATTR (O_TRUNC) is accepted', () => {
    const { fs, writes } = tiny();
    const s = new FuseServer(fs);
    init(s);
    const w = lookup(s, 1, 'w').nodeid;
    const setattr = le()
      .u32(1 << 3)
      .u32(0)
      .u64(0)
      .u64(0)
      .u64(0)
      .u64(0)
      .u64(0)
      .u64(0)
      .u32(0)
      .u32(0)
      .u32(0)
      .u32(0)
      .u32(0)
      .u32(0)
      .u32(0)
      .u32(0)
      .done();
    expect(decodeReply(s.handle(req(FUSE_SETATTR, w, setattr))!).error).toBe(0);
    const { fh } = open(s, w, 1);
    const write = (text: string) =>
      decodeReply(
        s.handle(
          req(
            FUSE_WRITE,
            w,
            le().u64(fh).u64(0).u32(text.length).u32(0).u64(0).u32(0).u32(0).raw(Buffer.from(text, 'latin1')).done(),
          ),
        )!,
      );
    const ok = write('vfio-pci\n');
    expect(ok.error).toBe(0);
    expect(new DataView(ok.payload.buffer, ok.payload.byteOffset).getUint32(0, true)).toBe(9);
    expect(write('x\n').error).toBe(-19);
    expect(writes).toEqual(['/w:vfio-pci\n', '/w:x\n']);
  });

  it('READDIR lists . and .. then the names with their types, resuming at the offset it handed out', () => {
    const s = new FuseServer(tiny().fs);
    init(s);
    const o = decodeReply(s.handle(req(FUSE_OPENDIR, 1, le().u32(0).u32(0).done()))!);
    const fh = new DataView(o.payload.buffer, o.payload.byteOffset).getBigUint64(0, true);
    const all = decodeDirents(decodeReply(s.handle(req(FUSE_READDIR, 1, readIn(fh, 0, 4096)))!).payload);
    expect(all.map((e) => [e.name, e.type, e.off])).toEqual([
      ['.', 4, 1],
      ['..', 4, 2],
      ['a', 8, 3],
      ['d', 4, 4],
      ['l', 10, 5],
      ['w', 8, 6],
    ]);
    const small = decodeDirents(decodeReply(s.handle(req(FUSE_READDIR, 1, readIn(fh, 0, 64)))!).payload);
    expect(small.map((e) => e.name)).toEqual(['.', '..']);
    const rest = decodeDirents(decodeReply(s.handle(req(FUSE_READDIR, 1, readIn(fh, 2, 4096)))!).payload);
    expect(rest.map((e) => e.name)).toEqual(['a', 'd', 'l', 'w']);
  });

  it('STATFS, DESTROY and an unknown opcode; a filesystem that throws gives -EIO, not a hang', () => {
    let destroyed = false;
    const { fs } = tiny();
    const s = new FuseServer(
      {
        ...fs,
        readlink: () => {
          throw new Error('bug');
        },
      },
      {
        onDestroy: () => {
          destroyed = true;
        },
      },
    );
    init(s);
    expect(decodeReply(s.handle(req(FUSE_STATFS, 1))!).payload.length).toBe(80);
    expect(decodeReply(s.handle(req(999, 1))!).error).toBe(-38);
    const l = lookup(s, 1, 'l').nodeid;
    expect(decodeReply(s.handle(req(FUSE_READLINK, l))!).error).toBe(-5);
    expect(decodeReply(s.handle(req(FUSE_DESTROY, 0))!).error).toBe(0);
    expect(destroyed).toBe(true);
    expect(s.handle(new Uint8Array(10))).toBeNull();
  });
});
