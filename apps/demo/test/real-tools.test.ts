/**
 * Real tools (lspci from pciutils, driverctl, bash) against sim's /sys written by `sim export`, and the machine's
 * own /sys through `sim import` then `sim export`. The tools come from Debian (scripts/system-deps.txt); a missing
 * one fails these tests, never skips them. Goldens are written from the model's expectations (the seed story's
 * end state under each profile), not captured from sim.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtin, ensureBuilt, runnableProfiles, sim } from './helpers.ts';

const scratch = mkdtempSync(join(tmpdir(), 'sim-real-tools-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs a real program; its stdout, with stderr lines of host noise dropped and the rest kept after it. */
function tool(cmd: string, args: readonly string[], cwd = scratch): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd });
  if (r.error !== undefined) {
    throw new Error(`${cmd} cannot run (${r.error.message}); install it: bash scripts/system-deps.sh (as root)`);
  }
  // lspci -k on a host without kernel modules (libkmod has no modules.dep) says so on stderr, for any /sys.
  const err = r.stderr
    .split('\n')
    .filter((l) => l !== '' && !l.includes('Unable to load libkmod resources'))
    .join('\n');
  return r.stdout + (err === '' ? '' : `[stderr] ${err}\n`);
}

/** `unshare` with a private mount namespace in which DIR is bind-mounted over /sys, then CMD. */
function withSys(dir: string, script: string): string {
  return tool('unshare', [
    '--mount',
    '--propagation',
    'private',
    'sh',
    '-c',
    `mount --bind '${dir}' /sys && ${script}`,
  ]);
}

let exportN = 0;
function exportOf(args: readonly string[]): string {
  const dir = join(scratch, `export-${exportN++}`);
  const r = sim(['export', dir, ...args]);
  expect(r.stderr).toMatch(/written to/);
  expect(r.status).toBe(0);
  return dir;
}

/** The usual "list IOMMU groups" loop (basename by the shell's parameter expansion). */
const GROUP_LOOP = [
  'for g in /sys/kernel/iommu_groups/*; do for d in $g/devices/*;',
  'do echo "IOMMU group $(basename $g): $(basename $d)"; done; done',
].join(' ');

describe('tools a real machine has, against sim export (pciutils, driverctl, bash)', () => {
  beforeAll(() => ensureBuilt());

  describe.each(runnableProfiles(builtin('seed')))('the seed story at its end (%s)', (profile) => {
    // What the model says the seed ends with (apps/demo/scenarios/seed.yaml `expect`): the root port with
    // pcieport, the GPU with vfio-pci, the audio function with snd_hda_intel where the bind went through (v4.12,
    // v4.12+bind-veto: the probe runs, then the BUG) and with no driver where it was refused (rfc-2017, v6.12).
    const audioBound = profile.startsWith('v4.12');
    const audio = audioBound ? '\tKernel driver in use: snd_hda_intel\n' : '';

    it('lspci -nk and -tvn show the nesting and the drivers', () => {
      const dir = exportOf(['seed', '--profile', profile]);
      const o = ['-O', `sysfs.path=${dir}/bus/pci`];
      expect(tool('lspci', ['-nk', ...o])).toBe(
        '00:00.0 0600: 8086:191f\n' +
          '00:01.0 0604: 8086:1901\n\tKernel driver in use: pcieport\n' +
          '01:00.0 0300: 10de:1b80\n\tKernel driver in use: vfio-pci\n' +
          `01:00.1 0403: 10de:10f0\n${audio}`,
      );
      expect(tool('lspci', ['-tvn', ...o])).toBe(
        '-[0000:00]-+-00.0  8086:191f\n' +
          '           \\-01.0-[01]--+-00.0  10de:1b80\n' +
          '                        \\-00.1  10de:10f0\n',
      );
      expect(
        tool('lspci', ['-n', '-s', '01:00.1', '-xxx', ...o])
          .split('\n')
          .slice(0, 2),
      ).toEqual(['01:00.1 0403: 10de:10f0', '00: de 10 f0 10 00 00 00 00 00 00 03 04 00 00 00 00']);
    });

    it('driverctl list-devices and list-overrides, and the IOMMU-group loop, with the export over /sys', () => {
      const dir = exportOf(['seed', '--profile', profile]);
      expect(withSys(dir, 'driverctl list-devices')).toBe(
        '0000:00:00.0 (none)\n' +
          '0000:00:01.0 pcieport\n' +
          '0000:01:00.0 vfio-pci [*]\n' +
          `0000:01:00.1 ${audioBound ? 'snd_hda_intel' : '(none)'}\n`,
      );
      // iommu-group gives the seed's host bridge (no iommuGroup) a group of its own, the first free id.
      expect(withSys(dir, GROUP_LOOP)).toBe(
        'IOMMU group 0: 0000:00:00.0\nIOMMU group 1: 0000:00:01.0\nIOMMU group 1: 0000:01:00.0\nIOMMU group 1: 0000:01:00.1\n',
      );
    });
  });

  it('--at 0 is the machine after the boot: the audio function with snd_hda_intel, no override', () => {
    const dir = exportOf(['seed', '--at', '0', '--profile', 'rfc-2017']);
    expect(withSys(dir, 'driverctl list-devices')).toBe(
      '0000:00:00.0 (none)\n0000:00:01.0 pcieport\n0000:01:00.0 (none)\n0000:01:00.1 snd_hda_intel\n',
    );
  });

  it('refuses a directory that is not empty, and a bad --at, writing nothing', () => {
    const full = join(scratch, 'full');
    rmSync(full, { recursive: true, force: true });
    execFileSync('mkdir', ['-p', full]);
    writeFileSync(join(full, 'keep'), 'mine');
    const r = sim(['export', full, 'seed']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/is not empty; name a new or empty directory/);
    expect(tool('ls', [full])).toBe('keep\n');
    const bad = sim(['export', join(scratch, 'never'), 'seed', '--at', '99']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--at takes a step number from 0 to \d+/);
  });
});

describe('round trip on this machine: sim import /sys, sim export, the same tool output', () => {
  beforeAll(() => ensureBuilt());

  it('lspci -nnk, lspci -tv and driverctl list-devices read the export as they read /sys', () => {
    const imported = sim(['import', '/sys']);
    expect(imported.stderr).toBe('');
    expect(imported.status).toBe(0);
    const file = join(scratch, 'machine.yaml');
    writeFileSync(file, imported.stdout);
    // The imported machine runs, ending with the drivers bound now.
    const run = sim(['run', file]);
    expect(run.stdout).toMatch(/expectations: \d+ passed, 0 failed/);
    const dir = exportOf([file]);
    const o = ['-O', `sysfs.path=${dir}/bus/pci`];
    expect(tool('lspci', ['-nnk', ...o])).toBe(tool('lspci', ['-nnk']));
    expect(tool('lspci', ['-tv', ...o])).toBe(tool('lspci', ['-tv']));
    expect(withSys(dir, 'driverctl list-devices')).toBe(tool('driverctl', ['list-devices']));
  });

  it('sim import of a directory that is not a /sys tree says what it needs', () => {
    const r = sim(['import', scratch]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bus\/pci\/devices does not exist; give \/sys or a directory written by sim export/);
  });
});

describe('sim import of a tree written by sim export', () => {
  beforeAll(() => ensureBuilt());

  it("gives back the seed's machine: ids, class, topology, IOMMU groups, drivers and overrides", () => {
    const dir = exportOf(['seed', '--profile', 'rfc-2017']);
    const r = sim(['import', dir]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(
      '- { bus: pci, address: "0000:01:00.1", vendor: 0x10de, device: 0x10f0, class: 0x040300, parent: "0000:00:01.0", iommuGroup: 1 }',
    );
    expect(r.stdout).toContain(
      '- { bus: pci, address: "0000:00:01.0", vendor: 0x8086, device: 0x1901, class: 0x060400, hdrType: 1, iommuGroup: 1 }',
    );
    expect(r.stdout).toContain('plugins: [iommu-group]');
    expect(r.stdout).toContain('"echo vfio-pci > /sys/bus/pci/devices/0000:01:00.0/driver_override"');
    const file = join(scratch, 'seed-again.yaml');
    writeFileSync(file, r.stdout);
    const run = sim(['run', file, '-f', 'json']);
    const state = (JSON.parse(run.stdout) as { state: { devices: Record<string, { driver: string | null }> } }).state;
    expect(Object.fromEntries(Object.entries(state.devices).map(([k, v]) => [k, v.driver]))).toEqual({
      '0000:00:00.0': null,
      '0000:00:01.0': 'pcieport',
      '0000:01:00.0': 'vfio-pci',
      '0000:01:00.1': null,
    });
  });

  it('names the file and what is wrong in a tree that is not sysfs-shaped, and prints nothing on stdout', () => {
    const dir = exportOf(['seed', '--at', '0']);
    writeFileSync(join(dir, 'devices/pci0000:00/0000:00:00.0/vendor'), 'not hex\n');
    const r = sim(['import', dir]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/0000:00:00\.0\/vendor holds 'not hex', not a hex number up to 0xffff/);
  });

  it('refuses a FIFO (it would block), a file longer than any attribute, and a driver link with a strange name', () => {
    const fifo = exportOf(['seed', '--at', '0']);
    const dev = join(fifo, 'devices/pci0000:00/0000:00:00.0');
    rmSync(join(dev, 'class'));
    execFileSync('mkfifo', [join(dev, 'class')]);
    const a = sim(['import', fifo]);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/0000:00:00\.0\/class is not a regular file \(sysfs attributes are\)/);
    const huge = exportOf(['seed', '--at', '0']);
    writeFileSync(join(huge, 'devices/pci0000:00/0000:00:00.0/config'), Buffer.alloc(1 << 20));
    const b = sim(['import', huge]);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/config holds more than 4096 bytes; no PCI attribute does/);
    const odd = exportOf(['seed', '--at', '0']);
    const link = join(odd, 'devices/pci0000:00/0000:00:01.0/driver');
    rmSync(link);
    symlinkSync('../../../bus/pci/drivers/__proto__ x', link);
    const c = sim(['import', odd]);
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/points to a driver called "__proto__ x", not a kernel driver's name/);
  });
});
