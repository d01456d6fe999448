import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.ts';
import { neutralise } from '../src/terminal.ts';
import { ensureBuilt, sim, simInProcess } from './helpers.ts';

// The command line and its streams under hostile or careless use (issue 12 §4): exit 2 with one clear line, never a
// trace, a hang or a silent success.

const dir = mkdtempSync(join(tmpdir(), 'sim-hostile-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => ensureBuilt());

describe('--inject', () => {
  it('refuses an option given twice, as the step form does', async () => {
    const r = await simInProcess(['run', 'seed', '--inject', 'pci:BUS_NOTIFY_BIND_DRIVER=NOTIFY_BAD,times=1,times=2']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /^sim run: --inject 'pci:BUS_NOTIFY_BIND_DRIVER=NOTIFY_BAD,times=1,times=2': times= is given twice; give it once/,
    );
  });
});

describe('sim shell', () => {
  const shell = (input: string) => sim(['shell', 'seed'], { input });
  it('notify checks the bus, the event and the device as the scenario loader does; the kernel lives on', () => {
    const r = shell(
      [
        'notify nope BUS_NOTIFY_BIND_DRIVER NULL',
        'notify pci BUS_NOTIFY_BIND_DRIVER typo',
        'notify pci BOGUS NULL',
        'notify pci __proto__ NULL',
        'cat /sys/bus/pci/drivers_autoprobe',
        '',
      ].join('\n'),
    );
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/sh: notify: unknown bus 'nope'; expected one of [^\n]*pci/);
    expect(r.stdout).toMatch(
      /sh: notify: unknown device 'typo' on bus 'pci'; expected one of [^\n]*0000:01:00\.0[^\n]*NULL/,
    );
    expect(r.stdout).toMatch(/sh: notify: unknown event 'BOGUS'; expected one of BUS_NOTIFY_ADD_DEVICE/);
    expect(r.stdout).toMatch(/sh: notify: unknown event '__proto__'/);
    expect(r.stdout).not.toMatch(/SimError|at .*\.js|the kernel died|oops/i);
    // The machine still answers after the refused commands.
    expect(r.stdout).toMatch(/root@sim:~# 1\n/);
  });

  it('a directory on stdin: exit 2 naming it', () => {
    const fd = openSync(dir, 'r');
    try {
      const r = spawnSync(process.execPath, [join(__dirname, '..', 'dist', 'sim.js'), 'shell'], {
        stdio: [fd, 'pipe', 'pipe'],
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(
        'sim shell: stdin is a directory; give the shell a terminal, or a file of commands: sim shell [<scenario>] < FILE\n',
      );
    } finally {
      closeSync(fd);
    }
  });
});

describe('escapes from scenario text on a terminal', () => {
  it('neutralise() shows control characters and keeps newlines, tabs and our colours', () => {
    expect(neutralise('a\u001b]0;pwned\u0007b\u001b[2Jc\r\td\n\u001b[31mred\u001b[39m\u009b')).toBe(
      'a\\x1b]0;pwned\\x07b\\x1b[2Jc\\x0d\td\n\u001b[31mred\u001b[39m\\x9b',
    );
  });

  it('sim run on a terminal writes no escape the scenario holds', async () => {
    const file = join(dir, 'esc.yaml');
    writeFileSync(
      file,
      'name: esc\ndescription: "title \\e]0;pwned\\a here"\nsteps:\n  - "echo -n \\e[2J > /sys/bus/pci/drivers_autoprobe"\n',
    );
    let stdout = '';
    const tty = {
      isTTY: true,
      columns: 100,
      write: (c: string) => {
        stdout += c;
        return true;
      },
    } as unknown as NodeJS.WritableStream & { isTTY: boolean };
    const status = await main(['run', file, '--no-color'], {
      stdout: tty,
      stderr: tty,
      stdin: Readable.from([]) as unknown as NodeJS.ReadableStream,
      env: {},
    });
    expect(status).toBeLessThan(2);
    expect(stdout).toContain('\\x1b[2J');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for raw escapes
    expect(stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });
});

describe('plugin modules that throw what is not an Error', () => {
  const sc = join(dir, 'uses-p.yaml');
  beforeAll(() => writeFileSync(sc, 'plugins: [p]\nsteps: [ls /sys]\n'));
  const cases: [string, string, RegExp][] = [
    ['import', 'throw null;', /--plugin '.*import\.mjs': the module does not load: null/],
    ['import-symbol', 'throw Symbol("x");', /import-symbol\.mjs': the module does not load: Symbol\(x\)/],
    [
      'factory',
      'export default function () { throw undefined; }',
      /factory\.mjs': its factory refuses the default options \(\{\}\): undefined/,
    ],
    [
      'getter',
      'export default { get name() { throw 5 }, setup() {} }',
      /getter\.mjs': its plugin cannot be read: a property threw 5/,
    ],
    [
      'deps',
      'export default { name: "p", setup() {}, get dependencies() { throw 7 } }',
      /deps\.mjs': its plugin cannot be read: a property threw 7/,
    ],
    [
      'setup',
      'export default function () { return { name: "p", setup() { throw Symbol("s"); } }; }',
      /plugin 'p' \(.*setup\.mjs\): its setup threw: Symbol\(s\)/,
    ],
    [
      'teardown',
      'export default function () { return { name: "p", setup() { return () => { throw null; }; } }; }',
      /plugin 'p' \(.*teardown\.mjs\): its teardown threw: null/,
    ],
  ];
  for (const [name, code, message] of cases) {
    it(`${name}: exit 2 naming the module`, () => {
      writeFileSync(join(dir, `${name}.mjs`), `${code}\n`);
      const r = sim(['run', sc, '--plugin', join(dir, `${name}.mjs`)]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(r.stdout).toBe('');
    });
  }
});

describe('output that cannot be written', () => {
  const bin = join(__dirname, '..', 'dist', 'sim.js');
  it('a closed pipe (sim run … | head -1): ends quietly, no trace', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [bin, 'run', 'seed', '--format', 'jsonl'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('a full disk (> /dev/full): says so and exits 1', async () => {
    const fd = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [bin, 'run', 'seed', '--format', 'jsonl'], {
        stdio: ['ignore', fd, 'pipe'],
        encoding: 'utf8',
      });
      expect(r.stderr).toBe('sim: write error: No space left on device (ENOSPC)\n');
      expect(r.status).toBe(1);
    } finally {
      closeSync(fd);
    }
  });
});
