/**
 * The server against the real kernel: /dev/fuse, mount(8), and real programs (cat, ls, readlink, a shell's
 * `echo >`) reading and writing through the mount. Needs root (or a user namespace) and /dev/fuse: where they
 * are missing this test fails, saying so, rather than skip.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type FuseFs, FuseMount, fuseMounts, fuseUnavailable } from '@sim/fuse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const sh = async (script: string): Promise<{ out: string; err: string; code: number }> => {
  try {
    const r = await run('bash', ['-c', script], { encoding: 'utf8' });
    return { out: r.stdout, err: r.stderr, code: 0 };
  } catch (e) {
    const x = e as { stdout: string; stderr: string; code: number };
    return { out: x.stdout, err: x.stderr, code: x.code };
  }
};

const files = new Map<string, string>([['/vendor', '0x10de\n']]);
let linkTarget: string | null = 'devices/x';
const writes: string[] = [];
const fs: FuseFs = {
  stat: (p) => {
    if (p === '/' || p === '/devices' || p === '/devices/x') return { type: 'dir', mode: 0o755 };
    if (p === '/driver') return linkTarget === null ? -2 : { type: 'link', mode: 0o777 };
    if (p === '/bind') return { type: 'file', mode: 0o200, size: 4096 };
    return files.has(p) ? { type: 'file', mode: 0o444, size: 4096 } : -2;
  },
  readdir: (p) =>
    p === '/'
      ? ['bind', 'devices', ...(linkTarget === null ? [] : ['driver']), 'vendor']
      : p === '/devices'
        ? ['x']
        : [],
  readlink: () => linkTarget ?? -2,
  open: (p, flags) => ((flags & 3) === 0 && p === '/bind' ? -13 : (flags & 3) !== 0 && p !== '/bind' ? -13 : 0),
  read: (p) => new TextEncoder().encode(files.get(p) ?? ''),
  write: (_p, data) => {
    const text = Buffer.from(data).toString('latin1');
    writes.push(text);
    if (text === 'busy\n') return -16;
    if (text === 'gone\n') return -19;
    linkTarget = null;
    return data.length;
  },
};

const dir = mkdtempSync(join(tmpdir(), 'sim-fuse-live-'));
let m: FuseMount | null = null;

describe('a live mount (/dev/fuse, mount -t fuse)', () => {
  beforeAll(() => {
    const why = fuseUnavailable();
    if (why !== null) throw new Error(`this test needs FUSE: ${why}`);
    m = FuseMount.mount(dir, fs, { source: 'sim-test' });
  });
  afterAll(async () => {
    await m?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is in /proc/self/mounts and reads as files, directories and links', async () => {
    expect(fuseMounts()).toContain(dir);
    expect((await sh(`cat ${dir}/vendor`)).out).toBe('0x10de\n');
    expect((await sh(`ls ${dir}`)).out).toBe('bind\ndevices\ndriver\nvendor\n');
    expect((await sh(`readlink ${dir}/driver; test -L ${dir}/driver && echo link`)).out).toBe('devices/x\nlink\n');
    expect((await sh(`cat ${dir}/bind`)).err).toMatch(/Permission denied/);
  });

  it("a shell's echo > gets the filesystem's errno as its error text; a link removed is gone at once (zero timeouts)", async () => {
    const busy = await sh(`echo busy > ${dir}/bind`);
    expect(busy.code).toBe(1);
    expect(busy.err).toMatch(/write error: Device or resource busy/);
    expect((await sh(`echo gone > ${dir}/bind`)).err).toMatch(/write error: No such device/);
    expect((await sh(`test -L ${dir}/driver && echo link`)).out).toBe('link\n');
    const ok = await sh(`echo 0000:01:00.0 > ${dir}/bind && test ! -e ${dir}/driver && echo unlinked`);
    expect(ok).toEqual({ out: 'unlinked\n', err: '', code: 0 });
    expect(writes).toEqual(['busy\n', 'gone\n', '0000:01:00.0\n']);
    expect(m!.server.protocolMinor).toBeGreaterThanOrEqual(23);
  });

  it('close() unmounts and ends the serving', async () => {
    const why = await m!.close();
    expect(['unmounted', 'closed']).toContain(why);
    expect(fuseMounts()).not.toContain(dir);
  });
});
