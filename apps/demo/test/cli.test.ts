import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkKtap, checkMermaid, checkTraceEvents } from './formats.ts';
import { APP, ensureBuilt, sim } from './helpers.ts';

const ESC = '\u001b[';
let dir = '';

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'sim-cli-'));
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('sim run, as a process', () => {
  it('narrates a built-in scenario and exits 0 when every expectation holds', () => {
    const r = sim(['run', 'bind-veto']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('sim run bind-veto  [profile v4.12+bind-veto]');
    expect(r.stdout).toContain('1. $ modprobe snd_hda_intel');
    expect(r.stdout).toContain('    pci BUS_NOTIFY_BIND_DRIVER 0000:01:00.1 <- driver_sysfs_add');
    expect(r.stdout).toContain('        veto -> NOTIFY_BAD');
    expect(r.stdout).toMatch(/expectations: \d+ passed, 0 failed/);
  });

  it('uses colour only when asked or forced, and honours NO_COLOR', () => {
    expect(sim(['run', 'bind-veto']).stdout).not.toContain(ESC);
    expect(sim(['run', 'bind-veto', '--color']).stdout).toContain(ESC);
    expect(sim(['run', 'bind-veto'], { env: { FORCE_COLOR: '1' } }).stdout).toContain(ESC);
    expect(sim(['run', 'bind-veto'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } }).stdout).not.toContain(ESC);
    expect(sim(['run', 'bind-veto', '--no-color'], { env: { FORCE_COLOR: '1' } }).stdout).not.toContain(ESC);
  });

  it('prints the documented json shape', () => {
    const r = sim(['run', 'bind-veto', '--format', 'json', '--profile', 'v4.12']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    const shape = JSON.parse(readFileSync(`${APP}run-output.schema.json`, 'utf8'));
    const check = new Ajv({ strict: true, allErrors: true }).compile(shape);
    expect(check(out), JSON.stringify(check.errors)).toBe(true);
    expect(out).toMatchObject({ scenario: 'bind-veto', profile: 'v4.12', flags: [], oops: null, ok: true });
    expect(out.steps[0]).toMatchObject({
      line: 21,
      step: 'modprobe snd_hda_intel',
      ran: true,
      result: 0,
      errno: null,
      output: null,
    });
    expect(Array.isArray(out.steps[0].calls)).toBe(true);
    expect(out.steps[2]).toMatchObject({ result: -19, errno: 'ENODEV' });
    expect(out.state.devices['0000:01:00.1']).toEqual({ bus: 'pci', driver: 'snd_hda_intel', iommuGroup: null });
  });

  it('prints jsonl, mermaid, perfetto and ktap', () => {
    const jsonl = sim(['run', 'deferred-probe', '--format', 'jsonl']).stdout.trimEnd().split('\n');
    expect(jsonl.every((l) => typeof JSON.parse(l).type === 'string')).toBe(true);
    expect(checkMermaid(sim(['run', 'bind-veto', '--format', 'mermaid']).stdout)).toEqual([]);
    expect(checkTraceEvents(JSON.parse(sim(['run', 'bind-veto', '--format', 'perfetto']).stdout))).toEqual([]);
    const ktap = sim(['run', 'driver-override', '--format', 'ktap']);
    expect(ktap.status).toBe(0);
    expect(checkKtap(ktap.stdout)).toEqual([]);
  });

  it('exits 1 with a diff when an expectation fails', () => {
    const path = file(
      'fails.yaml',
      'topology:\n  devices: [{ bus: platform, name: uart }]\n  drivers: [{ name: uart, bus: platform }]\nsteps:\n  - run: readlink /sys/bus/platform/devices/uart/driver\n    expect: -ENOENT\nexpect:\n  drivers: { uart: null }\n',
    );
    const r = sim(['run', path]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('expectations: 0 passed, 2 failed');
    expect(r.stdout).toContain('- expected: -2 (ENOENT)');
    expect(r.stdout).toContain('+ actual:   0');
    expect(r.stdout).toContain('- expected: no driver');
    expect(r.stdout).toContain('+ actual:   uart');
    const ktap = sim(['run', path, '--format', 'ktap']);
    expect(ktap.status).toBe(1);
    expect(ktap.stdout).toContain('not ok 1 line 6: step 1');
  });

  it('exits 2 on bad input, runs nothing and writes only to stderr', () => {
    const path = file('bad.yaml', 'steps:\n  - eho 1 > /sys/bus/pci/rescan\n');
    const r = sim(['run', path, '--format', 'json']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `${path}:2:5: steps[0]: unknown step verb 'eho' in 'eho 1 > /sys/bus/pci/rescan'; expected one of echo, cat, ls, readlink, modprobe, rmmod, open, ioctl, close, dmesg, notify, inject, inject-probe\nsim: 1 problem; nothing was run\n`,
    );
  });

  it('exits 2 for a wrong command line', () => {
    expect(sim(['frobnicate']).stderr).toContain("sim: unknown command 'frobnicate'");
    expect(sim(['frobnicate']).status).toBe(2);
    expect(sim(['run', 'nosuch']).stderr).toBe(
      "sim run: no scenario file or built-in scenario named 'nosuch'; built-in scenarios: acpi-lpss, bind-veto, deferred-probe, driver-override, due-diligence, fault-injection, i2c-minors, keystone-null-data, race-set-container, seed, tce-already-grouped\n",
    );
    expect(sim(['run', 'bind-veto', '--format', 'svg']).stderr).toBe(
      "sim run: unknown format 'svg'; formats: text, json, jsonl, mermaid, perfetto, ktap, html\n",
    );
    expect(sim(['run', 'bind-veto', '--profile', 'v5.0']).stderr).toBe(
      "sim run: unknown profile 'v5.0'; known profiles: v4.12, v4.12+bind-veto, v6.12\n",
    );
    const r = sim(['run', 'bind-veto', '--frob']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("sim run: unknown option '--frob'");
    expect(sim([]).status).toBe(2);
    expect(sim(['--help']).status).toBe(0);
  });
});

describe('sim compare, list and schema', () => {
  it('puts the profiles side by side and marks the first difference', () => {
    const r = sim(['compare', 'bind-veto', '--profiles', 'v4.12,v4.12+bind-veto'], { env: { COLUMNS: '80' } });
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    expect(lines.find((l) => l.startsWith('>>'))).toMatch(/^>> +0 +0$/);
    expect(r.stdout).toContain('first difference: step 1 (line 21)');
    expect(r.stdout).toContain('BUS_NOTIFY_BIND_DRIVER: veto answered NOTIFY_BAD, ignored:');
    expect(r.stdout).toContain('BUS_NOTIFY_BIND_DRIVER: veto answered NOTIFY_BAD, honoured:');
  });

  it('says when the profiles do not differ', () => {
    const r = sim(['compare', 'deferred-probe']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('no difference: every step did the same under each profile');
  });

  it('lists the built-in scenarios and profiles', () => {
    const r = sim(['list']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ {2}bind-veto +A custom bus notifier/);
    expect(r.stdout).toContain('  v4.12+bind-veto  v4.12 with the seed');
  });

  it('prints the schema kept in the repo', () => {
    expect(JSON.parse(sim(['schema']).stdout)).toEqual(JSON.parse(readFileSync(`${APP}scenario.schema.json`, 'utf8')));
  });
});

describe('sim shell, driven through its stdin', () => {
  it('runs what a person types, with history', () => {
    const input = [
      'cat /sys/bus/pci/devices/0000:02:00.0/driver_override',
      'echo pci-stub > /sys/bus/pci/devices/0000:02:00.0/driver_override',
      'echo 0000:02:00.0 > /sys/bus/pci/drivers/e1000e/unbind',
      'echo 0000:02:00.0 > /sys/bus/pci/drivers_probe',
      'readlink /sys/bus/pci/devices/0000:02:00.0/driver',
      'echo 0000:02:00.0 > /sys/bus/pci/drivers/e1000e/bind',
      'ls /sys/bus/pci/drivers/pci-stub',
      'dmesg',
      'eho x',
      'history',
      'exit',
      '',
    ].join('\n');
    const r = sim(['shell', 'driver-override', '--profile', 'v4.12'], { input });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('root@sim:~# (null)\n');
    expect(r.stdout).toContain('../../../bus/pci/drivers/pci-stub\n');
    expect(r.stdout).toContain('sh: echo: write error: No such device\n');
    expect(r.stdout).toContain('0000:02:00.0\nbind\n');
    expect(r.stdout).toContain('bound 0000:02:00.0 to pci-stub');
    expect(r.stdout).toMatch(/\[ +0\.\d{6}\] bus: 'pci': add driver pci-stub\n/);
    expect(r.stdout).toContain("sh: unknown step verb 'eho'");
    expect(r.stdout).toContain('    9  eho x\n');
  });
});

describe('the seed story through the command', () => {
  it('pnpm demo: the seed under v4.12, rfc-2017 and v6.12, in 80 columns: the BUG, the veto, the -EBUSY', () => {
    const demo = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).scripts.demo;
    expect(demo).toContain('compare seed --profiles v4.12,rfc-2017,v6.12');
    // As on an 80-column terminal (COLUMNS, as the terminal's width is honoured).
    const r = sim(['compare', 'seed', '--profiles', 'v4.12,rfc-2017,v6.12'], { env: { COLUMNS: '80' } });
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => l.length > 80)).toEqual([]);
    expect(lines.length).toBeLessThan(80);
    expect(r.stdout).toContain('14. $ echo 0000:01:00.1 > /sys/bus/pci/drivers/snd_hda_intel/bind');
    expect(lines.find((l) => l.startsWith('>>'))).toMatch(/^>> +the task died +-19 \(ENODEV\) +-16 \(EBUSY\)$/);
    expect(r.stdout).toMatch(/ {2}oops +BUG at vfio\.c:733 +none +none/);
    expect(r.stdout).toContain('first difference: step 14 (line 58)');
    // The veto at BIND_DRIVER, and the modern refusal before any bus event.
    expect(r.stdout).toContain('honoured: driver_sysfs_add() returns -EINVAL');
    expect(r.stdout).toMatch(/v6\.12 +refused snd_hda_intel: pci_dma_configure\(\) returned -16 \(EBUSY\),/);

    // Then the race: sim explore finds the schedules that BUG, in 80 columns too.
    expect(demo).toContain('explore race-set-container --profile v4.12 --workers 0');
    const x = sim(['explore', 'race-set-container', '--profile', 'v4.12', '--workers', '0'], {
      env: { COLUMNS: '80' },
    });
    expect(x.status).toBe(1);
    expect(x.stdout.split('\n').filter((l) => l.length > 80)).toEqual([]);
    expect(x.stdout).toContain('oops: kernel BUG at drivers/vfio/vfio.c:733!');
  });

  it('sim run seed --format json: the oops under v4.12, the refused bind under rfc-2017', () => {
    const v412 = JSON.parse(sim(['run', 'seed', '--profile', 'v4.12', '--format', 'json']).stdout);
    expect(v412.oops).toMatchObject({
      where: 'drivers/vfio/vfio.c:733',
      message: 'kernel BUG at drivers/vfio/vfio.c:733!',
    });
    expect(v412.steps[13]).toMatchObject({ result: null, ran: true });
    expect(v412.steps[14]).toMatchObject({ result: null, ran: false });
    const rfc = JSON.parse(sim(['run', 'seed', '--format', 'json']).stdout);
    expect(rfc).toMatchObject({
      profile: 'rfc-2017',
      flags: ['stopBindOnNotifyBad', 'percolate', 'vetoBind'],
      oops: null,
    });
    expect(rfc.steps[13]).toMatchObject({ result: -19, errno: 'ENODEV' });
    expect(rfc.steps[14].output).toBe('flags 0x3 (VIABLE | CONTAINER_SET)\n');
    expect(rfc.state.devices['0000:01:00.1']).toEqual({ bus: 'pci', driver: null, iommuGroup: 1 });
  });

  it('sim explain seed --group 1 says why the group is viable, and which bind would break it', () => {
    const r = sim(['explain', 'seed', '--group', '1'], { env: { COLUMNS: '80' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('IOMMU group 1 (/sys/kernel/iommu_groups/1), profile rfc-2017');
    expect(r.stdout).toContain('0000:01:00.1 -> snd_hda_intel');
    expect(r.stdout.split('\n').filter((l) => l.length > 80)).toEqual([]);
    expect(sim(['explain', 'seed', '--group', '9']).stderr).toContain('there is no IOMMU group 9');
    expect(sim(['explain', 'seed']).stderr).toBe(
      'sim explain: --group takes an IOMMU group number such as --group 1, got nothing\n',
    );
    expect(sim(['explain', 'bind-veto', '--group', '1']).stderr).toBe(
      "sim explain: scenario 'bind-veto' uses no plugin that explains IOMMU groups; add vfio to its plugins\n",
    );
  });

  it('refuses a profile the scenario has no plugin for', () => {
    const r = sim(['run', 'bind-veto', '--profile', 'rfc-2017']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      "sim run: profile 'rfc-2017' comes with plugin 'vfio', which scenario 'bind-veto' does not use; its profiles: v4.12, v4.12+bind-veto, v6.12\n",
    );
  });
});

describe('sim audit', () => {
  it("without a scenario, runs the seed's due diligence and reproduces its paragraph", () => {
    const r = sim(['audit']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Notifier answer audit (due-diligence), profile v4.12');
    expect(r.stdout).toContain(
      'Verdict: 4 notifiers answered something else: 4 on BUS_NOTIFY_ADD_DEVICE (4 ineffective); none on BUS_NOTIFY_BIND_DRIVER; left out of the claim: platform/acpi_lpss_platform_notify.',
    );
    for (const block of [
      'keystone_platform_notifier',
      'tce_iommu_bus_notifier',
      'i2cdev_notifier_call',
      'acpi_lpss_platform_notify',
    ]) {
      expect(r.stdout).toContain(block);
    }
    expect(r.stdout).toContain('Left out of the claim: platform/acpi_lpss_platform_notify\n');
  });

  it('under v6.12: tce-iommu refused, two ineffective ADD_DEVICE answers (keystone, acpi-lpss)', () => {
    const r = sim(['audit', '--profile', 'v6.12']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Not on Linux 6.12: tce-iommu: ');
    expect(r.stdout).toContain(
      'Verdict: 2 notifiers answered something else: 2 on BUS_NOTIFY_ADD_DEVICE (2 ineffective); none on BUS_NOTIFY_BIND_DRIVER; left out of the claim: platform/acpi_lpss_platform_notify.',
    );
    expect(r.stdout).toContain('Claimed but not found: tce_iommu_bus_notifier, i2cdev_notifier_call\n');
  });

  it('over the acpi-lpss scenario under the seed: the veto honoured, acpi-lpss called before it and told on DRIVER_NOT_BOUND', () => {
    const seed = sim(['audit', 'acpi-lpss', '--profile', 'v4.12+bind-veto']);
    expect(seed.stdout).toContain('-12 (ENOMEM), device INT33C2:00: ignored by device_add()');
    expect(seed.stdout).toContain(
      'called before it, on a bind that did not happen: acpi_lpss_platform_notify (answered 0; told on BUS_NOTIFY_DRIVER_NOT_BOUND, its chance to undo)',
    );
    const plain = sim(['audit', 'acpi-lpss']);
    expect(plain.stdout).toContain('NOTIFY_BAD (0x8002), device INT33C2:00: ignored by driver_sysfs_add()');
    expect(plain.stdout).not.toContain('called before it');
  });

  it('over a scenario, audits its run, collateral included', () => {
    const r = sim(['audit', 'tce-already-grouped']);
    expect(r.stdout).toContain('-16 (EBUSY), device 0000:01:00.0: ignored by device_add()');
    expect(r.stdout).toContain('collateral: late-listener');
    const dd = sim(['audit', 'due-diligence', '--format', 'json']);
    const report = JSON.parse(dd.stdout);
    expect(report.findings.map((f: { block: string }) => f.block).sort()).toEqual([
      'i2cdev_notifier_call',
      'keystone_platform_notifier',
      'tce_iommu_bus_notifier',
    ]);
  });
});
