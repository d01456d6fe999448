import { describe, expect, it } from 'vitest';
import { runScenario } from '../src/run/run.ts';
import { formatProblem, loadScenario } from '../src/scenario/load.ts';
import type { Scenario } from '../src/scenario/types.ts';
import { builtin, ensureBuilt, sim, simInProcess } from './helpers.ts';

function load(text: string): Scenario {
  const r = loadScenario(text, 'inject.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.scenario;
}

function problems(text: string): string[] {
  const r = loadScenario(text, 'bad.yaml');
  if (r.ok) throw new Error('the file was accepted');
  return r.problems.map(formatProblem);
}

const GROUPED = [
  'plugins: [iommu-group]',
  'topology:',
  '  devices:',
  '    - { bus: pci, address: "0000:01:00.1", vendor: 0x10de, device: 0x10f0, iommuGroup: 1 }',
  '  drivers:',
  '    - { name: snd_hda_intel, bus: pci, ids: ["10de:10f0"], loaded: false }',
  '',
].join('\n');

describe('inject: in a scenario file', () => {
  it('decodes each injection as data, in order', () => {
    const sc = load(
      `${GROUPED}inject:\n  - { chain: pci, action: BUS_NOTIFY_BIND_DRIVER, answer: NOTIFY_BAD, priority: 100, times: 1 }\n  - { chain: iommu_group:1, action: IOMMU_GROUP_NOTIFY_BIND_DRIVER, answer: "notifier_from_errno(-EBUSY)" }\n  - { chain: pci, action: any, answer: -16, name: errno-injector }\nsteps: [modprobe snd_hda_intel]\n`,
    );
    expect(sc.inject).toEqual([
      {
        kind: 'notifier',
        line: 8,
        chain: 'pci',
        action: 4,
        actionText: 'BUS_NOTIFY_BIND_DRIVER',
        answer: 'NOTIFY_BAD',
        priority: 100,
        times: 1,
        name: null,
        text: 'inject pci BUS_NOTIFY_BIND_DRIVER NOTIFY_BAD priority 100 times 1',
      },
      expect.objectContaining({ chain: 'iommu_group:1', action: 3, answer: { fromErrno: -16 } }),
      expect.objectContaining({ action: 'any', answer: { raw: -16 }, name: 'errno-injector' }),
    ]);
  });

  it('puts them in once the machine is up: the boot is not affected, the steps are', () => {
    const sc = load(
      'profiles: [v4.12+bind-veto]\nprofile: v4.12+bind-veto\ntopology:\n  devices: [{ bus: platform, name: uart }]\n  drivers: [{ name: uart, bus: platform }]\ninject:\n  - { chain: platform, action: BUS_NOTIFY_BIND_DRIVER, answer: NOTIFY_BAD }\nsteps:\n  - echo uart > /sys/bus/platform/drivers/uart/unbind\n  - run: echo uart > /sys/bus/platform/drivers/uart/bind\n    expect: -ENODEV\n',
    );
    const run = runScenario(sc);
    expect(run.bootEvents.some((e) => e.type === 'bind' && e.device === 'uart')).toBe(true);
    expect(run.devices.uart?.driver).toBeNull();
    expect(run.ok).toBe(true);
    expect(run.injections).toEqual(['notifier-error-inject on platform: BUS_NOTIFY_BIND_DRIVER -> NOTIFY_BAD']);
  });

  it('reports what is wrong with each injection, at its position, before anything runs', () => {
    const text = [
      GROUPED.replace(
        '  drivers:\n',
        '  drivers:\n    - { name: e1000e, bus: pci }\n    - { name: e1000e, bus: platform }\n',
      ),
      'inject:',
      '  - { chain: pci, action: IOMMU_GROUP_NOTIFY_BIND_DRIVER, answer: -EWHAT }',
      '  - { chain: pci, action: BUS_NOTIFY_FROB, answer: NOTIFY_BAD }',
      '  - { probe: snd_hda_intel, errno: -ENOMEM }',
      '  - { probe: e1000e, errno: -12 }',
      '  - { probe: nouveau, errno: -EFOO }',
      'steps:',
      '  - inject usb BUS_NOTIFY_BIND_DRIVER NOTIFY_BAD times x',
      '  - inject pci BUS_NOTIFY_BIND_DRIVER',
      '  - inject-probe nouveau -ENOMEM',
      '  - inject pci BUS_NOTIFY_BIND_DRIVER NOTIFY_BAD priority 1 frob 2',
      '  - inject pci 4 NOTIFY_BAD priority 1 priority 2',
      '',
    ].join('\n');
    const BUS_ACTIONS =
      'BUS_NOTIFY_ADD_DEVICE, BUS_NOTIFY_DEL_DEVICE, BUS_NOTIFY_REMOVED_DEVICE, BUS_NOTIFY_BIND_DRIVER, BUS_NOTIFY_BOUND_DRIVER, BUS_NOTIFY_UNBIND_DRIVER, BUS_NOTIFY_UNBOUND_DRIVER, BUS_NOTIFY_DRIVER_NOT_BOUND';
    expect(problems(text)).toEqual([
      `bad.yaml:11:27: inject[0].action: IOMMU_GROUP_NOTIFY_BIND_DRIVER is not an action of chain 'pci'; expected one of ${BUS_ACTIONS}, a number, or any`,
      "bad.yaml:11:67: inject[0].answer: unknown errno in '-EWHAT'; expected an errno name such as -EBUSY or -ENODEV",
      `bad.yaml:12:27: inject[1].action: unknown action 'BUS_NOTIFY_FROB'; expected one of ${BUS_ACTIONS}, a number, or any`,
      "bad.yaml:13:14: inject[2].probe: driver 'snd_hda_intel' is loaded by a modprobe step (loaded: false), so it is not registered when the injections are applied; expected a driver registered at boot, or a step 'inject-probe snd_hda_intel …' after its modprobe",
      "bad.yaml:14:14: inject[3].probe: driver 'e1000e' is on 2 buses (pci, platform); expected the bus named too: bus pci or bus platform",
      "bad.yaml:15:14: inject[4].probe: unknown driver 'nouveau'; expected a driver of the topology or a plugin: e1000e, snd_hda_intel",
      "bad.yaml:15:30: inject[4].errno: unknown errno '-EFOO'; expected a negative errno name such as -ENOMEM or -ENODEV",
      "bad.yaml:17:56: steps[0]: times 'x' is not an integer in 'inject usb BUS_NOTIFY_BIND_DRIVER NOTIFY_BAD times x'; expected inject CHAIN ACTION ANSWER [priority N] [times N]",
      "bad.yaml:18:38: steps[1]: 'inject' takes a chain, an action and an answer in 'inject pci BUS_NOTIFY_BIND_DRIVER'; expected inject CHAIN ACTION ANSWER [priority N] [times N]",
      "bad.yaml:19:18: steps[2]: unknown driver 'nouveau' in 'inject-probe nouveau -ENOMEM'; expected a driver of the topology or a plugin: e1000e, snd_hda_intel",
      "bad.yaml:20:61: steps[3]: unknown word 'frob' in 'inject pci BUS_NOTIFY_BIND_DRIVER NOTIFY_BAD priority 1 ...; expected inject CHAIN ACTION ANSWER [priority N] [times N]",
      "bad.yaml:21:40: steps[4]: 'priority' given twice in 'inject pci 4 NOTIFY_BAD priority 1 priority 2'; expected inject CHAIN ACTION ANSWER [priority N] [times N]",
    ]);
  });

  it('checks chains against a trial boot: a plugin chain exists only once its devices are in', () => {
    const text = `${GROUPED}inject:\n  - { chain: iommu_group:7, action: IOMMU_GROUP_NOTIFY_BIND_DRIVER, answer: NOTIFY_BAD }\n  - { chain: usb, action: any, answer: "notifier_from_errno(-EBUSY)" }\n  - { chain: iommu_group:1, action: BUS_NOTIFY_BIND_DRIVER, answer: NOTIFY_BAD }\nsteps:\n  - inject iommu_group:9 IOMMU_GROUP_NOTIFY_BIND_DRIVER NOTIFY_BAD\n  - "inject   usb 3 -16"\n`;
    const CHAINS = 'a chain of the machine once booted: platform, pci, i2c, iommu_group:1';
    expect(problems(text)).toEqual([
      "bad.yaml:10:37: inject[2].action: BUS_NOTIFY_BIND_DRIVER is not an action of chain 'iommu_group:1'; expected one of IOMMU_GROUP_NOTIFY_ADD_DEVICE, IOMMU_GROUP_NOTIFY_DEL_DEVICE, IOMMU_GROUP_NOTIFY_BIND_DRIVER, IOMMU_GROUP_NOTIFY_BOUND_DRIVER, IOMMU_GROUP_NOTIFY_UNBIND_DRIVER, IOMMU_GROUP_NOTIFY_UNBOUND_DRIVER, a number, or any",
    ]);
    expect(problems(text.replace(/ {2}- \{ chain: iommu_group:1.*\n/, ''))).toEqual([
      `bad.yaml:8:14: inject[0].chain: unknown chain 'iommu_group:7'; expected ${CHAINS}`,
      `bad.yaml:9:14: inject[1].chain: unknown chain 'usb'; expected ${CHAINS}`,
      `bad.yaml:11:12: steps[0]: unknown chain 'iommu_group:9' in 'inject iommu_group:9 IOMMU_GROUP_NOTIFY_BIND_DRIVER NOTI...; expected ${CHAINS}`,
      `bad.yaml:12:15: steps[1]: unknown chain 'usb' in 'inject   usb 3 -16'; expected ${CHAINS}`,
    ]);
  });

  it('checks the shapes with the schema: a probe fault with a notifier key, nth 0, an errno out of range', () => {
    expect(
      problems(
        'inject:\n  - { chain: pci, action: 4, answer: NOTIFY_BAD, nth: 1 }\n  - { probe: x, errno: -5000, nth: 0 }\n  - { chain: pci, action: bind, answer: BAD }\nsteps: [ls /sys]\n',
      ),
    ).toEqual([
      "bad.yaml:2:50: inject[0].nth: unknown key 'nth'; expected one of chain, action, answer, priority, times, name",
      'bad.yaml:3:24: inject[1].errno: -5000 is out of range; expected an integer from -4095 to -1',
      'bad.yaml:3:36: inject[1].nth: 0 is out of range; expected an integer from 1 to 2147483647',
      "bad.yaml:4:27: inject[2].action: 'bind' is not an accepted value here; expected an action name (BUS_NOTIFY_BIND_DRIVER, IOMMU_GROUP_NOTIFY_BIND_DRIVER ...), a number, or any",
      "bad.yaml:4:41: inject[2].answer: 'BAD' is not an accepted value here; expected NOTIFY_DONE, NOTIFY_OK, NOTIFY_BAD, NOTIFY_STOP, a raw errno such as -EBUSY, notifier_from_errno(-EBUSY) or an integer",
    ]);
  });
});

describe('inject and inject-probe steps', () => {
  const text = `${GROUPED}steps:
  - run: inject-probe snd_hda_intel -ENOMEM
    expect: -ENOENT
  - run: modprobe snd_hda_intel
    expect: 0
  - run: inject-probe snd_hda_intel -ENODEV nth 2
    expect: 0
  - run: inject iommu_group:1 IOMMU_GROUP_NOTIFY_BIND_DRIVER NOTIFY_BAD priority 10 times 1
    expect: 0
  - echo 0000:01:00.1 > /sys/bus/pci/drivers/snd_hda_intel/unbind
  - run: echo 0000:01:00.1 > /sys/bus/pci/drivers/snd_hda_intel/bind
    expect: 13
  - echo 0000:01:00.1 > /sys/bus/pci/drivers/snd_hda_intel/unbind
  - run: echo 0000:01:00.1 > /sys/bus/pci/drivers/snd_hda_intel/bind
    expect: -ENODEV
  - rmmod snd_hda_intel
  - run: inject-probe snd_hda_intel -ENOMEM
    expect: -ENOENT
  - run: inject pci 99 notifier_from_errno(-EINVAL)
    expect: 0
`;

  it('inject at the point they run; a driver not registered then is -ENOENT, as a missing debugfs file', () => {
    const run = runScenario(load(text));
    expect(run.expectations.filter((e) => !e.ok)).toEqual([]);
    expect(run.steps.map((s) => s.result)).toEqual([-2, 0, 0, 0, 13, 13, 13, -19, 0, -2, 0]);
    const dmesg = run.records.map((r) => r.text);
    expect(dmesg).toContain('Injecting NOTIFY_BAD (32770) to IOMMU_GROUP_NOTIFY_BIND_DRIVER');
    expect(dmesg).toContain('FAULT_INJECTION: forcing a failure: probe of 0000:01:00.1 by snd_hda_intel returns -19');
    expect(run.injections).toEqual([
      'probe of pci/snd_hda_intel -> -19 on call 2',
      'notifier-error-inject on iommu_group:1: IOMMU_GROUP_NOTIFY_BIND_DRIVER -> NOTIFY_BAD (1x)',
      'notifier-error-inject on pci: action 99 -> notifierFromErrno(-22)',
    ]);
  });
});

describe('sim run --inject', () => {
  it('adds injections after the scenario’s own, and lists them under boot', async () => {
    const r = await simInProcess(
      [
        'run',
        'deferred-probe',
        '--inject',
        'platform:BUS_NOTIFY_BIND_DRIVER=NOTIFY_BAD,priority=5,times=1',
        '--profile',
        'v4.12+bind-veto',
      ],
      { env: { COLUMNS: '80' } },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(
      'boot: 2 devices, 1 driver loaded, 1 injection\n    inject platform BUS_NOTIFY_BIND_DRIVER NOTIFY_BAD priority 5 times 1\n      (--inject)\n',
    );
    expect(r.stdout).toContain('Injecting NOTIFY_BAD (32770) to BUS_NOTIFY_BIND_DRIVER');
  });

  it('applies to compare, and shows in the json output', async () => {
    const c = await simInProcess(['compare', 'bind-veto', '--inject', 'probe:pci/snd_hda_intel=-ENOMEM@1']);
    expect(c.stderr).toBe(
      "sim compare: --inject 'probe:pci/snd_hda_intel=-ENOMEM@1': driver 'snd_hda_intel' is loaded by a modprobe step (loaded: false), so it is not registered when the injections are applied; expected a driver registered at boot, or a step 'inject-probe snd_hda_intel …' after its modprobe\n",
    );
    const ok = await simInProcess([
      'compare',
      'driver-override',
      '--profiles',
      'v4.12,v4.12+bind-veto',
      '--inject',
      'probe:e1000e=-ENOMEM@1',
    ]);
    expect(ok.status).toBe(1);
    expect(ok.stdout).toMatch(/11\. \$ echo 0000:02:00\.0 > \/sys\/bus\/pci\/drivers\/e1000e\/bind +-19 \(ENODEV\)/);
    // 6.12's bind returns the probe's own errno.
    const modern = await simInProcess([
      'run',
      'driver-override',
      '--profile',
      'v6.12',
      '--inject',
      'probe:e1000e=-ENOMEM@1',
    ]);
    expect(modern.stdout).toMatch(/-12 \(ENOMEM\)/);
    const json = JSON.parse((await simInProcess(['run', 'seed', '--format', 'json', '--inject', 'pci:any=0'])).stdout);
    expect(json.injections).toEqual(['notifier-error-inject on pci: any action -> raw 0']);
  });

  it('exits 2 naming the spec and the accepted forms; nothing runs', async () => {
    const FORMS =
      'expected CHAIN:ACTION=ANSWER[,priority=N][,times=N] (e.g. pci:BUS_NOTIFY_BIND_DRIVER=NOTIFY_BAD), probe:[BUS/]DRIVER=ERRNO[@N] (e.g. probe:snd_hda_intel=-ENOMEM@1) or sysfs:NAME=ERRNO[,times=N] (e.g. sysfs:lpss_ltr=-ENOMEM,times=1)';
    const bad = await simInProcess(['run', 'bind-veto', '--inject', 'pci=NOTIFY_BAD']);
    expect(bad).toEqual({
      status: 2,
      stdout: '',
      stderr: `sim run: --inject 'pci=NOTIFY_BAD': no 'CHAIN:ACTION' before the =; ${FORMS}\n`,
    });
    const names = await simInProcess([
      'run',
      'seed',
      '--inject',
      'usb:BUS_NOTIFY_BIND_DRIVER=NOTIFY_BAD',
      '--inject',
      'pci:IOMMU_GROUP_NOTIFY_BIND_DRIVER=-EFOO',
      '--inject',
      'probe:nouveau=-ENOMEM',
    ]);
    expect(names.status).toBe(2);
    expect(names.stdout).toBe('');
    expect(names.stderr.split('\n')).toEqual([
      "sim run: --inject 'usb:BUS_NOTIFY_BIND_DRIVER=NOTIFY_BAD': unknown chain 'usb'; expected a chain of the machine once booted: platform, pci, i2c, iommu_group:0, iommu_group:1",
      "sim run: --inject 'pci:IOMMU_GROUP_NOTIFY_BIND_DRIVER=-EFOO': IOMMU_GROUP_NOTIFY_BIND_DRIVER is not an action of chain 'pci'; expected one of BUS_NOTIFY_ADD_DEVICE, BUS_NOTIFY_DEL_DEVICE, BUS_NOTIFY_REMOVED_DEVICE, BUS_NOTIFY_BIND_DRIVER, BUS_NOTIFY_BOUND_DRIVER, BUS_NOTIFY_UNBIND_DRIVER, BUS_NOTIFY_UNBOUND_DRIVER, BUS_NOTIFY_DRIVER_NOT_BOUND, a number, or any",
      "sim run: --inject 'pci:IOMMU_GROUP_NOTIFY_BIND_DRIVER=-EFOO': unknown errno in '-EFOO'; expected an errno name such as -EBUSY or -ENODEV",
      "sim run: --inject 'probe:nouveau=-ENOMEM': unknown driver 'nouveau'; expected a driver of the topology or a plugin: vfio-pci, pci-stub, pcieport, snd_hda_intel",
      '',
    ]);
    expect((await simInProcess(['list', '--inject', 'pci:4=NOTIFY_BAD'])).stderr).toBe(
      "sim list: unknown option '--inject'; sim list takes --plugin, --format, --help, --color, --no-color (sim help list)\n",
    );
  });

  it('as a process: exit 2 on a bad spec, the README’s commands run', () => {
    ensureBuilt();
    expect(sim(['run', 'bind-veto', '--inject', 'probe:e1000e']).status).toBe(2);
    expect(
      sim(['run', 'bind-veto', '--inject', 'pci:BUS_NOTIFY_BIND_DRIVER=NOTIFY_BAD,priority=10,times=1']).status,
    ).toBe(0);
    const seed = sim([
      'compare',
      'seed',
      '--inject',
      'iommu_group:1:IOMMU_GROUP_NOTIFY_BIND_DRIVER=notifier_from_errno(-EBUSY)',
    ]);
    expect(seed.stderr).toBe('');
    expect(seed.stdout).toContain('notifier_from_errno(-EBUSY)');
    const probe = sim(['run', 'driver-override', '--inject', 'probe:e1000e=-ENOMEM@1']);
    expect(probe.status).toBe(1);
    expect(probe.stdout).toContain('FAIL line 38: 0000:02:00.0 ends with e1000e, got no driver');
  });
});

describe('the fault-injection scenario', () => {
  const scenario = builtin('fault-injection');

  it('an injected NOTIFY_BAD on BIND_DRIVER: ignored by v4.12, honoured by v4.12+bind-veto', () => {
    const v412 = runScenario(scenario, 'v4.12');
    const veto = runScenario(scenario, 'v4.12+bind-veto');
    const outcome = (run: typeof v412) =>
      run.steps[0]!.events.find((e) => e.type === 'chain.outcome' && e.actionName === 'BUS_NOTIFY_BIND_DRIVER');
    expect(outcome(v412)).toMatchObject({ ret: 0x8002, outcome: 'ignored' });
    expect(outcome(veto)).toMatchObject({ ret: 0x8002, outcome: 'honoured' });
    expect(v412.steps[0]!.events.some((e) => e.type === 'probe' && e.driver === 'snd_hda_intel')).toBe(true);
    expect(veto.steps[0]!.events.some((e) => e.type === 'probe')).toBe(false);
  });

  it('an injected NOTIFY_BAD on the IOMMU group chain is dropped by iommu_bus_notifier under both', () => {
    const veto = runScenario(scenario, 'v4.12+bind-veto');
    const group = veto.steps[3]!.events.find((e) => e.type === 'chain.outcome' && e.chain === 'iommu_group:1');
    expect(group).toMatchObject({ ret: 0x8002, outcome: 'ignored' });
    expect(veto.devices['0000:01:00.1']?.driver).toBe('snd_hda_intel');
  });

  it('the probe fault fails the second call from the injection only, without running the probe', () => {
    const run = runScenario(scenario, 'v4.12');
    const probes = run.steps.flatMap((s) =>
      s.events.filter((e) => e.type === 'probe' && e.driver === 'e1000e').map((e) => (e as { ret: number }).ret),
    );
    expect(probes).toEqual([0, -12, 0]);
  });
});

describe('sysfs creation faults (inject: { sysfs }, --inject sysfs:NAME=ERRNO)', () => {
  const LPSS = [
    'plugins: [acpi-lpss]',
    'topology:',
    '  devices:',
    '    - { bus: platform, name: "INT33C2:00", acpi: { hid: INT33C2, mmio: 0x1000 } }',
    'steps: [ls /sys]',
    '',
  ].join('\n');

  it('is in place from boot: the device added at boot has no group, the fault is listed', () => {
    const sc = load(
      `${LPSS}inject:\n  - { sysfs: lpss_ltr, under: /sys/devices/platform, errno: -ENOMEM, times: 1 }\n`,
    );
    expect(sc.inject).toEqual([
      {
        kind: 'sysfs',
        line: 7,
        name: 'lpss_ltr',
        under: '/sys/devices/platform',
        errno: -12,
        times: 1,
        text: 'sysfs lpss_ltr under /sys/devices/platform -ENOMEM times 1',
      },
    ]);
    let group: boolean | null = null;
    let log: string[] = [];
    const r = runScenario(sc, 'v4.12', {
      inspect: (k) => {
        group = k.sysfs.exists('/sys/devices/platform/INT33C2:00/lpss_ltr');
        log = k.dmesg.lines({ timestamps: false });
      },
    });
    expect(group).toBe(false);
    expect(log).toContain('Injecting -12 to the creation of /sys/devices/platform/INT33C2:00/lpss_ltr');
    expect(r.injections).toEqual(['sysfs lpss_ltr under /sys/devices/platform -> -12 (1x)']);
  });

  it.each([
    ['{ sysfs: "a/b", errno: -ENOMEM }', 'inject[0].sysfs'],
    ['{ sysfs: lpss_ltr, errno: -EFROB }', 'inject[0].errno'],
    ['{ sysfs: lpss_ltr, errno: -ENOMEM, under: devices }', 'inject[0].under'],
    ['{ sysfs: lpss_ltr, errno: -ENOMEM, times: 0 }', 'inject[0].times'],
  ])('refuses %s, naming the field', (entry, field) => {
    expect(problems(`${LPSS}inject:\n  - ${entry}\n`).join('\n')).toContain(field);
  });

  it('--inject sysfs:NAME=ERRNO,times=N is the same fault from the command line; a bad one exits 2', async () => {
    await ensureBuilt();
    const ok = sim(['run', 'acpi-lpss', '--inject', 'sysfs:lpss_ltr=-ENOMEM,times=2', '--format', 'json']);
    const json = JSON.parse(ok.stdout);
    expect(json.injections).toContain('sysfs lpss_ltr -> -12 (2x)');
    const bad = await simInProcess(['run', 'acpi-lpss', '--inject', 'sysfs:lpss_ltr=-ENOMEM,often']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--inject 'sysfs:lpss_ltr=-ENOMEM,often': 'often' is not times=N");
  });
});
