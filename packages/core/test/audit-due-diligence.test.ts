import {
  type AuditReport,
  auditDueDiligence,
  auditVerdictLine,
  BUS_NOTIFY_ADD_DEVICE,
  BUS_NOTIFY_BIND_DRIVER,
  BUS_NOTIFY_EVENTS,
  busNotifyName,
  createKernel,
  decodeNotifierAnswer,
  ENODEV,
  formatAuditReport,
  isI2cAdapter,
  type Kernel,
  NOTIFY_BAD,
  NOTIFY_DONE,
  NOTIFY_OK,
  type Plugin,
  recordAudit,
  SimError,
} from '@sim/core';
import { describe, expect, it } from 'vitest';

/** A notifier like i2cdev's: a raw -ENODEV on ADD_DEVICE for adapters numbered 8 and up; its exercise adds one. */
function errnoPlugin(): Plugin {
  return {
    name: 'errno',
    setup: (k) =>
      k.bus('i2c').registerNotifier({
        name: 'errno_notifier',
        notifierCall: (a, d) => (a === BUS_NOTIFY_ADD_DEVICE && isI2cAdapter(d) && d.nr >= 8 ? -ENODEV : 0),
      }).unregister,
    exercise: (k) => void k.addDevice({ bus: 'i2c', kind: 'adapter', name: 'high', nr: 8 }),
  };
}

/** A user's own notifier, registered after the errno one on the same bus. */
function customPlugin(answer: (action: number) => number = () => NOTIFY_OK): Plugin {
  return {
    name: 'custom',
    setup: (k) => k.bus('i2c').registerNotifier({ name: 'custom_notifier', notifierCall: (a) => answer(a) }).unregister,
  };
}

const noneRow = (action: number) => ({
  chainKind: 'bus',
  action,
  event: busNotifyName(action),
  findings: 0,
  ineffective: 0,
  effective: 0,
  propagated: 0,
  unknown: 0,
  blocks: [],
});

describe('auditDueDiligence()', () => {
  it('a custom notifier registered after an errno-returning one: the report in full, collateral included', () => {
    const report = auditDueDiligence({ plugins: [errnoPlugin(), customPlugin()] });
    const expected: AuditReport = {
      kind: 'due-diligence',
      profile: 'v4.12',
      base: '4.12',
      flags: [],
      unsupported: [],
      // exercise:errno, lifecycle:i2c, and null-data:i2c for each of the 8 events.
      kernels: 10,
      // 1 (exercise) + 12 (an adapter and a client through their life) + 8 (NULL data).
      chainCalls: 21,
      findings: [
        {
          chain: 'i2c',
          bus: 'i2c',
          action: BUS_NOTIFY_ADD_DEVICE,
          event: 'BUS_NOTIFY_ADD_DEVICE',
          block: 'errno_notifier',
          verdict: 'ineffective',
          answers: [
            {
              value: -ENODEV,
              decoded: decodeNotifierAnswer(-ENODEV),
              device: 'i2c-8',
              calledBy: 'device_add',
              outcome: 'ignored',
              outcomeSource: 'trace',
              handledBy: 'device_add',
              effect: 'device_add() ignores the answer',
              overwrittenBy: null,
              collateral: ['custom_notifier'],
              count: 1,
              sources: ['exercise:errno'],
            },
          ],
        },
      ],
      byEvent: [
        {
          chainKind: 'bus',
          action: BUS_NOTIFY_ADD_DEVICE,
          event: 'BUS_NOTIFY_ADD_DEVICE',
          findings: 1,
          ineffective: 1,
          effective: 0,
          propagated: 0,
          unknown: 0,
          blocks: ['i2c/errno_notifier'],
        },
        ...BUS_NOTIFY_EVENTS.slice(1).map(noneRow),
      ] as AuditReport['byEvent'],
      crashes: [],
      coverage: [
        { chain: 'i2c', block: 'errno_notifier', calls: 21 },
        { chain: 'i2c', block: 'custom_notifier', calls: 20 },
      ],
      totals: { findings: 1, ineffective: 1, effective: 0, propagated: 0, unknown: 0 },
    };
    expect(report).toEqual(expected);
    expect(formatAuditReport(report)).toBe(
      [
        'Notifier answer audit (due-diligence), profile v4.12 (flags: none)',
        '10 kernels, 21 chain calls, 1 notifier with answers other than 0 / NOTIFY_OK / NOTIFY_DONE',
        '',
        'BUS_NOTIFY_ADD_DEVICE: 1 notifier, 1 ineffective',
        '  i2c / errno_notifier: ineffective',
        '    -19 (ENODEV), device i2c-8: ignored by device_add()',
        '      device_add() ignores the answer; collateral: custom_notifier',
        '      once, from exercise:errno',
        ...BUS_NOTIFY_EVENTS.slice(1).flatMap((a) => ['', `${busNotifyName(a)}: none`]),
        '',
        'Crashes: none',
        'Blocks never called: none',
        '',
        'Verdict: 1 notifier answered something else: 1 on BUS_NOTIFY_ADD_DEVICE (1 ineffective); none on BUS_NOTIFY_BIND_DRIVER.',
        '',
      ].join('\n'),
    );
  });

  it("a custom notifier's own non-OK answers are found through the driver core's real callers", () => {
    const veto = customPlugin((a) => (a === BUS_NOTIFY_BIND_DRIVER ? NOTIFY_BAD : NOTIFY_DONE));
    const plain = auditDueDiligence({ plugins: [errnoPlugin(), veto] });
    const seed = auditDueDiligence({ plugins: [errnoPlugin(), veto], profile: 'v4.12+bind-veto' });
    const bind = (r: AuditReport) => r.findings.find((f) => f.action === BUS_NOTIFY_BIND_DRIVER)!;
    expect(bind(plain).verdict).toBe('ineffective');
    expect(bind(seed).verdict).toBe('effective');
    // The client's two binds (failing probe, good probe) come from driver_sysfs_add(); NULL data from the table.
    expect(
      bind(plain).answers.map((a) => [a.device, a.outcome, a.outcomeSource, a.handledBy, a.count, a.sources]),
    ).toEqual([
      ['0-0050', 'ignored', 'trace', 'driver_sysfs_add', 2, ['lifecycle:i2c']],
      [null, 'ignored', 'caller-table', 'driver_sysfs_add', 1, ['null-data:i2c']],
    ]);
    expect(bind(seed).answers.map((a) => [a.device, a.outcome, a.outcomeSource])).toEqual([
      ['0-0050', 'honoured', 'trace'],
      [null, 'honoured', 'caller-table'],
    ]);
    expect(auditVerdictLine(seed)).toBe(
      'Verdict: 2 notifiers answered something else: 1 on BUS_NOTIFY_ADD_DEVICE (1 ineffective); 1 on BUS_NOTIFY_BIND_DRIVER (1 effective).',
    );
  });

  it('runs each exercise on a fresh kernel with every plugin in use, and each part on its own kernel', () => {
    const seen: { kernel: Kernel; plugins: string[] }[] = [];
    const watcher: Plugin = {
      name: 'watcher',
      setup: (k) => {
        seen.push({ kernel: k, plugins: [] });
        return k.bus('platform').registerNotifier({ name: 'watch', notifierCall: () => 0 }).unregister;
      },
      exercise: (k) => {
        seen.find((s) => s.kernel === k)!.plugins = k.plugins();
      },
    };
    const report = auditDueDiligence({ plugins: [watcher, customPlugin()] });
    // exercise, lifecycle on platform and i2c, 8 NULL-data parts on each.
    expect(report.kernels).toBe(1 + 2 + 16);
    expect(seen).toHaveLength(19);
    expect(new Set(seen.map((s) => s.kernel)).size).toBe(19);
    expect(seen[0]!.plugins).toEqual(['watcher', 'custom']);
    expect(seen.every((s) => s.kernel.oops === null)).toBe(true);
  });

  it('takes a function that makes fresh plugins for each kernel', () => {
    let made = 0;
    const report = auditDueDiligence({
      plugins: () => {
        made++;
        return [errnoPlugin(), customPlugin()];
      },
    });
    expect(made).toBe(report.kernels);
    expect(report.findings.map((f) => f.block)).toEqual(['errno_notifier']);
  });

  it('a notifier that dereferences NULL data: one crash per event it dies on, the run goes on', () => {
    const deref: Plugin = {
      name: 'deref',
      setup: (k) =>
        k.bus('platform').registerNotifier({
          name: 'deref_notifier',
          notifierCall: (a, d) => {
            if (d === null && a === BUS_NOTIFY_ADD_DEVICE)
              k.bug('deref.c:10', 'BUG: unable to handle kernel NULL pointer dereference');
            // A TypeScript callback that forgets NULL: an exception outside any kernel operation.
            if (d === null && a === BUS_NOTIFY_BIND_DRIVER) return (d as unknown as { name: string }).name.length;
            return NOTIFY_OK;
          },
        }).unregister,
    };
    const report = auditDueDiligence({ plugins: [deref] });
    expect(report.crashes).toEqual([
      {
        chain: 'platform',
        action: BUS_NOTIFY_ADD_DEVICE,
        event: 'BUS_NOTIFY_ADD_DEVICE',
        block: 'deref_notifier',
        device: null,
        message: 'BUG: unable to handle kernel NULL pointer dereference',
        where: 'deref.c:10',
        source: 'null-data:platform',
      },
      {
        chain: 'platform',
        action: BUS_NOTIFY_BIND_DRIVER,
        event: 'BUS_NOTIFY_BIND_DRIVER',
        block: 'deref_notifier',
        device: null,
        message: expect.stringMatching(/^BUG: unhandled exception in deref_notifier: Cannot read properties of null/),
        where: 'deref_notifier',
        source: 'null-data:platform',
      },
    ]);
    expect(report.findings).toEqual([]);
    // The other six events still ran: the platform device's 9 calls in its life, plus 6.
    expect(report.chainCalls).toBe(9 + 6);
  });

  it('covers a bus a plugin registers, with a generic device', () => {
    const own: Plugin = {
      name: 'own-bus',
      setup: (k) => {
        k.busRegister({ name: 'gadget' });
        return k.bus('gadget').registerNotifier({
          name: 'gadget_notifier',
          notifierCall: (a, d) => (a === BUS_NOTIFY_ADD_DEVICE && d !== null ? NOTIFY_BAD : 0),
        }).unregister;
      },
    };
    const report = auditDueDiligence({ plugins: [own] });
    expect(report.findings.map((f) => [f.bus, f.block, f.answers.map((a) => [a.device, a.outcome])])).toEqual([
      ['gadget', 'gadget_notifier', [['sim-audit', 'ignored']]],
    ]);
    // Its life on its bus (the default match takes every driver: 9 events), and 8 NULL-data calls.
    expect(report.coverage).toEqual([{ chain: 'gadget', block: 'gadget_notifier', calls: 9 + 8 }]);
  });

  it('devices: drives the devices given for a bus instead of the default one', () => {
    const report = auditDueDiligence({
      plugins: [errnoPlugin()],
      devices: { i2c: [{ bus: 'i2c', kind: 'adapter', name: 'big', nr: 9 }] },
    });
    // Equal answers with equal fates are counted together, under the first device.
    expect(report.findings[0]!.answers.map((a) => [a.device, a.count, a.sources])).toEqual([
      ['i2c-8', 2, ['exercise:errno', 'lifecycle:i2c']],
    ]);
  });

  it('no plugins: nothing to drive', () => {
    const report = auditDueDiligence({ plugins: [] });
    expect(report).toMatchObject({ kernels: 0, chainCalls: 0, findings: [], crashes: [], coverage: [] });
    expect(auditVerdictLine(report)).toBe(
      'Verdict: every notifier answered 0, NOTIFY_OK or NOTIFY_DONE: none on BUS_NOTIFY_BIND_DRIVER.',
    );
  });

  it.each([
    [undefined, /takes \{ plugins, profile\?, machine\?, devices\? \}/],
    [{}, /\{ plugins \}\) is an array of plugins/],
    [{ plugins: 'keystone' }, /\{ plugins \}\) is an array of plugins/],
    [{ plugins: [], devices: [] }, /\{ devices \}\) maps bus names/],
    [{ plugins: [], devices: { pci: {} } }, /devices\['pci'\] must be an array/],
    [{ plugins: [], profil: 'v4.12' }, /unknown option "profil"; known options: plugins, profile, machine, devices/],
  ])('misuse %j -> SIM_ERR_KERNEL_BAD_OPTION', (options, message) => {
    let thrown: unknown;
    try {
      auditDueDiligence(options as never);
    } catch (e) {
      thrown = e;
    }
    expect(SimError.isInstance(thrown)).toBe(true);
    expect((thrown as SimError).code).toBe('SIM_ERR_KERNEL_BAD_OPTION');
    expect((thrown as SimError).message).toMatch(message);
  });

  it("createKernel()'s own checks apply (unknown profile, not a plugin)", () => {
    expect(() => auditDueDiligence({ plugins: [], profile: 'v9.9' })).toThrow(/SIM_ERR_PROFILE_UNKNOWN/);
    expect(() => auditDueDiligence({ plugins: [{} as Plugin] })).toThrow(/SIM_ERR_PLUGIN_BAD/);
  });

  it('misuse inside an exercise surfaces as the SimError it is', () => {
    const clumsy: Plugin = {
      name: 'clumsy',
      setup: () => undefined,
      exercise: (k) => void k.addDevice({ bus: 'nope', name: 'x' }),
    };
    expect(() => auditDueDiligence({ plugins: [clumsy] })).toThrow(/SIM_ERR_BUS_UNKNOWN/);
  });
});

describe('the collateral of a bind veto on the blocks before it', () => {
  /** Two platform blocks: `acts` answers 0 to everything (it may act on BIND_DRIVER), `veto` vetoes every bind. */
  function run(profile: string) {
    const kernel = createKernel({ profile });
    const audit = recordAudit(kernel);
    kernel.addDevice({ bus: 'platform', name: 'gadget' });
    kernel.bus('platform').registerNotifier({ name: 'acts', notifierCall: () => 0 });
    kernel.bus('platform').registerNotifier({
      name: 'veto',
      notifierCall: (a) => (a === kernel.busEvents.BUS_NOTIFY_BIND_DRIVER ? NOTIFY_BAD : NOTIFY_DONE),
    });
    kernel.registerDriver({ name: 'gadget', bus: 'platform', probe: 'ok' });
    return audit.stop();
  }

  it('under the seed: the veto is honoured, and the block called before it was told on DRIVER_NOT_BOUND', () => {
    const report = run('v4.12+bind-veto');
    const [answer] = report.findings.find((f) => f.block === 'veto')!.answers;
    expect(answer!.outcome).toBe('honoured');
    expect(answer!.actedBefore).toEqual([{ block: 'acts', value: 0, undoneOn: 'BUS_NOTIFY_DRIVER_NOT_BOUND' }]);
    expect(formatAuditReport(report)).toContain(
      '      called before it, on a bind that did not happen: acts (answered 0; told on BUS_NOTIFY_DRIVER_NOT_BOUND, its chance to undo)',
    );
  });

  it.each(['v4.12', 'v6.12'])(
    'under %s the veto is ignored: no bind stopped, nothing before it to report',
    (profile) => {
      const [answer] = run(profile).findings.find((f) => f.block === 'veto')!.answers;
      expect(answer!.outcome).toBe('ignored');
      expect(answer!.actedBefore).toBeUndefined();
    },
  );
});

describe('auditDueDiligence({ claimed })', () => {
  it('names the findings the claim left out and the blocks it names that had none', () => {
    const report = auditDueDiligence({ plugins: [errnoPlugin()], claimed: ['other_notifier'] });
    expect(report.claims).toEqual({
      claimed: ['other_notifier'],
      missed: ['i2c/errno_notifier'],
      unfound: ['other_notifier'],
    });
    expect(auditVerdictLine(report)).toBe(
      'Verdict: 1 notifier answered something else: 1 on BUS_NOTIFY_ADD_DEVICE (1 ineffective); none on BUS_NOTIFY_BIND_DRIVER; left out of the claim: i2c/errno_notifier.',
    );
    expect(formatAuditReport(report)).toContain('Left out of the claim: i2c/errno_notifier\n');
    expect(auditDueDiligence({ plugins: [errnoPlugin()] }).claims).toBeUndefined();
  });

  it('refuses a claim that is not a list of names', () => {
    expect(() => auditDueDiligence({ plugins: [], claimed: 'x' as never })).toThrow(/claimed/);
  });
});
