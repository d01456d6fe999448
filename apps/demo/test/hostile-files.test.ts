import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_SCENARIO_BYTES } from '../src/scenario/read.ts';
import { simInProcess } from './helpers.ts';

// Files that are not scenario files: each is refused with exit 2 and one line naming it, before anything is read
// that could block (a FIFO) or grow without end (/dev/zero).
const dir = mkdtempSync(join(tmpdir(), 'sim-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sim run <file> that is not a regular scenario file', () => {
  it('a directory: exit 2, no trace', async () => {
    mkdirSync(join(dir, 'd.yaml'));
    const r = await simInProcess(['run', './d.yaml'], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("sim run: './d.yaml' is a directory; name a scenario file (a regular YAML file)\n");
    expect(r.stdout).toBe('');
  });

  it('a FIFO: refused at once, without waiting for a writer', async () => {
    const fifo = join(dir, 'f.yaml');
    const mk = spawnSync('mkfifo', [fifo]);
    expect(mk.status).toBe(0);
    const r = await simInProcess(['run', './f.yaml'], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("sim run: './f.yaml' is a FIFO (named pipe); name a scenario file (a regular YAML file)\n");
  });

  it('/dev/zero: refused as a device', async () => {
    const r = await simInProcess(['run', '/dev/zero']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("sim run: '/dev/zero' is a device; name a scenario file (a regular YAML file)\n");
  });

  it('a file over the size cap names the cap', async () => {
    writeFileSync(join(dir, 'big.yaml'), Buffer.alloc(MAX_SCENARIO_BYTES + 1, 0x20));
    const r = await simInProcess(['run', 'big.yaml'], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `sim run: 'big.yaml' is ${MAX_SCENARIO_BYTES + 1} bytes, over the 4 MiB limit of a scenario file; split it, or name a smaller one\n`,
    );
  });

  it('a path component over 255 bytes says ENAMETOOLONG, not "no such file"', async () => {
    const r = await simInProcess(['run', `./${'a'.repeat(300)}.yaml`], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/file name is too long \(ENAMETOOLONG/);
    expect(r.stderr).not.toMatch(/no scenario file/);
  });

  it('invalid UTF-8 is refused with its line', async () => {
    writeFileSync(
      join(dir, 'latin1.yaml'),
      Buffer.concat([
        Buffer.from('name: x\ndescription: caf'),
        Buffer.from([0xe9]),
        Buffer.from('\nsteps: [ls /sys]\n'),
      ]),
    );
    const r = await simInProcess(['run', 'latin1.yaml'], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      "sim run: 'latin1.yaml' is not valid UTF-8 (line 2, byte 24 of the file); save it as UTF-8\n",
    );
  });

  it('a missing file is still "no scenario file"', async () => {
    const r = await simInProcess(['run', './nope.yaml'], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^sim run: no scenario file or built-in scenario named '\.\/nope\.yaml'/);
  });
});
