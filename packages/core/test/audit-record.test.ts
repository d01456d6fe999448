import {
  type AuditAnswer,
  auditTrace,
  BUS_NOTIFY_ADD_DEVICE,
  BUS_NOTIFY_BIND_DRIVER,
  createKernel,
  type Device,
  decodeNotifierAnswer,
  EBUSY,
  ENODEV,
  formatAuditReport,
  type Kernel,
  NOTIFY_BAD,
  NOTIFY_DONE,
  NOTIFY_OK,
  NOTIFY_STOP,
  notifierFromErrno,
  recordAudit,
  SimError,
  type TraceEvent,
} from '@sim/core';
import { describe, expect, it } from 'vitest';

function answerer(kernel: Kernel, bus: string, name: string, answer: (action: number, dev: Device | null) => number) {
  return kernel.bus(bus).registerNotifier({ name, notifierCall: (a, d) => answer(a, d) });
}

const only = (action: number, ret: number) => (a: number) => (a === action ? ret : NOTIFY_DONE);

describe('recordAudit(): a scenario on a kernel', () => {
  it('reports a raw errno on ADD_DEVICE: decoded, ignored by device_add(), with its collateral', () => {
    const kernel = createKernel();
    answerer(kernel, 'pci', 'errno_notifier', only(BUS_NOTIFY_ADD_DEVICE, -EBUSY));
    answerer(kernel, 'pci', 'later', () => NOTIFY_OK);
    const audit = recordAudit(kernel);
    kernel.addDevice({ bus: 'pci', address: '0000:00:02.0', vendor: 0x8086, device: 0x1234 });
    kernel.addDevice({ bus: 'pci', address: '0000:00:03.0', vendor: 0x8086, device: 0x1234 });
    const report = audit.stop();
    expect(report.findings).toEqual([
      {
        chain: 'pci',
        bus: 'pci',
        action: BUS_NOTIFY_ADD_DEVICE,
        event: 'BUS_NOTIFY_ADD_DEVICE',
        block: 'errno_notifier',
        verdict: 'ineffective',
        answers: [
          {
            value: -EBUSY,
            decoded: decodeNotifierAnswer(-EBUSY),
            device: '0000:00:02.0',
            calledBy: 'device_add',
            outcome: 'ignored',
            outcomeSource: 'trace',
            handledBy: 'device_add',
            effect: 'device_add() ignores the answer',
            overwrittenBy: null,
            collateral: ['later'],
            count: 2,
            sources: ['scenario'],
          },
        ],
      },
    ]);
    expect(report.byEvent[0]).toEqual({
      chainKind: 'bus',
      action: BUS_NOTIFY_ADD_DEVICE,
      event: 'BUS_NOTIFY_ADD_DEVICE',
      findings: 1,
      ineffective: 1,
      effective: 0,
      propagated: 0,
      unknown: 0,
      blocks: ['pci/errno_notifier'],
    });
    expect(report.totals).toEqual({ findings: 1, ineffective: 1, effective: 0, propagated: 0, unknown: 0 });
    expect(report.coverage).toContainEqual({ chain: 'pci', block: 'later', calls: 0 });
    expect(report.coverage).toContainEqual({ chain: 'pci', block: 'errno_notifier', calls: 2 });
    expect(report).toMatchObject({ kind: 'scenario', profile: 'v4.12', flags: [], kernels: 1, crashes: [] });
  });

  it('NOTIFY_BAD on BIND_DRIVER: ignored under v4.12, honoured under v4.12+bind-veto', () => {
    const outcomes: Record<string, Partial<AuditAnswer>> = {};
    for (const profile of ['v4.12', 'v4.12+bind-veto']) {
      const kernel = createKernel({ profile });
      answerer(kernel, 'platform', 'veto', only(BUS_NOTIFY_BIND_DRIVER, NOTIFY_BAD));
      kernel.addDevice({ bus: 'platform', name: 'serial8250' });
      const audit = recordAudit(kernel);
      kernel.registerDriver({ name: 'serial8250', bus: 'platform', probe: 'ok' });
      const report = audit.stop();
      expect(report.findings).toHaveLength(1);
      const { outcome, handledBy, effect, outcomeSource } = report.findings[0]!.answers[0]!;
      outcomes[profile] = { outcome, handledBy, effect, outcomeSource };
      expect(report.findings[0]!.verdict).toBe(profile === 'v4.12' ? 'ineffective' : 'effective');
      expect(kernel.device('serial8250')!.isBound).toBe(profile === 'v4.12');
    }
    expect(outcomes).toEqual({
      'v4.12': {
        outcome: 'ignored',
        handledBy: 'driver_sysfs_add',
        effect: 'driver_sysfs_add() ignores the answer',
        outcomeSource: 'trace',
      },
      'v4.12+bind-veto': {
        outcome: 'honoured',
        handledBy: 'driver_sysfs_add',
        effect: 'driver_sysfs_add() returns -EINVAL: the bind stops before the probe',
        outcomeSource: 'trace',
      },
    });
  });

  it('under the seed flag, only exactly NOTIFY_BAD is honoured: NOTIFY_STOP and encoded errnos are ignored', () => {
    const kernel = createKernel({ profile: 'v4.12+bind-veto' });
    answerer(kernel, 'platform', 'stopper', (a, d) =>
      a !== BUS_NOTIFY_BIND_DRIVER ? NOTIFY_DONE : d?.name === 'a' ? NOTIFY_STOP : notifierFromErrno(-ENODEV),
    );
    answerer(kernel, 'platform', 'after', () => NOTIFY_OK);
    kernel.addDevice({ bus: 'platform', name: 'a' });
    kernel.addDevice({ bus: 'platform', name: 'b' });
    const audit = recordAudit(kernel);
    kernel.registerDriver({ name: 'drv', bus: 'platform', ids: ['a', 'b'], probe: 'ok' });
    const [finding] = audit.stop().findings;
    expect(finding!.verdict).toBe('ineffective');
    expect(finding!.answers.map((a) => [a.decoded.text, a.outcome, a.effect, a.collateral])).toEqual([
      ['NOTIFY_STOP (0x8001)', 'ignored', 'driver_sysfs_add() stops a bind only on exactly NOTIFY_BAD', ['after']],
      [
        'notifierFromErrno(-ENODEV) (0x8014)',
        'ignored',
        'driver_sysfs_add() stops a bind only on exactly NOTIFY_BAD',
        ['after'],
      ],
    ]);
    expect(kernel.device('a')!.isBound && kernel.device('b')!.isBound).toBe(true);
  });

  it('an answer without the stop bit is overwritten by the next block', () => {
    const kernel = createKernel({ profile: 'v4.12+bind-veto' });
    // 0x0002 is NOTIFY_BAD without its stop bit: the walk goes on and the next answer replaces it.
    answerer(kernel, 'platform', 'no_stop_bit', only(BUS_NOTIFY_BIND_DRIVER, NOTIFY_BAD & ~0x8000));
    answerer(kernel, 'platform', 'next', () => NOTIFY_OK);
    kernel.addDevice({ bus: 'platform', name: 'dev' });
    const audit = recordAudit(kernel);
    kernel.registerDriver({ name: 'dev', bus: 'platform', probe: 'ok' });
    const [finding] = audit.stop().findings;
    expect(finding).toMatchObject({ block: 'no_stop_bit', verdict: 'ineffective' });
    expect(finding!.answers).toEqual([
      expect.objectContaining({
        value: 2,
        outcome: 'overwritten',
        outcomeSource: 'chain',
        handledBy: null,
        overwrittenBy: { block: 'next', value: NOTIFY_OK },
        effect: "replaced by next's NOTIFY_OK (0x1) before the caller saw it",
        collateral: [],
      }),
    ]);
    expect(kernel.device('dev')!.isBound).toBe(true);
  });

  it("a plugin's own chain: propagated when its caller passes the answer on, unreported when it says nothing", () => {
    const kernel = createKernel();
    const group = kernel.createChain('blocking', 'iommu_group 3', (a) => `IOMMU_GROUP_NOTIFY_${a}`);
    group.register({ name: 'vfio_iommu_group_notifier', notifierCall: () => NOTIFY_BAD });
    const audit = recordAudit(kernel);
    const ret = kernel.callChain(group, 3, null, 'iommu_bus_notifier');
    kernel.traceOutcome(group, 3, ret, 'iommu_bus_notifier', 'propagated', 'iommu_bus_notifier() returns it');
    kernel.callChain(group, 4, null, 'iommu_bus_notifier');
    const report = audit.stop();
    expect(report.findings.map((f) => [f.chain, f.bus, f.event, f.verdict, f.answers[0]!.outcome])).toEqual([
      ['iommu_group 3', null, 'IOMMU_GROUP_NOTIFY_3', 'propagated', 'propagated'],
      ['iommu_group 3', null, 'IOMMU_GROUP_NOTIFY_4', 'unknown', 'unreported'],
    ]);
    expect(report.byEvent.slice(8).map((r) => [r.chainKind, r.event, r.findings])).toEqual([
      ['other', 'IOMMU_GROUP_NOTIFY_3', 1],
      ['other', 'IOMMU_GROUP_NOTIFY_4', 1],
    ]);
    expect(report.totals).toEqual({ findings: 2, ineffective: 0, effective: 0, propagated: 1, unknown: 1 });
  });

  it('a bus chain called by something other than the driver core: the caller table gives the outcome', () => {
    const kernel = createKernel();
    answerer(kernel, 'platform', 'bad_on_null', (a, d) => (a === BUS_NOTIFY_ADD_DEVICE && d === null ? NOTIFY_BAD : 0));
    const audit = recordAudit(kernel);
    kernel.callChain(kernel.bus('platform').notifier, BUS_NOTIFY_ADD_DEVICE, null, 'my test');
    const [finding] = audit.stop().findings;
    expect(finding!.answers[0]).toMatchObject({
      device: null,
      calledBy: 'my test',
      outcome: 'ignored',
      outcomeSource: 'caller-table',
      handledBy: 'device_add',
    });
  });

  it('records a kernel death inside a chain call, naming the block', () => {
    const kernel = createKernel();
    answerer(kernel, 'platform', 'fine', () => NOTIFY_OK);
    answerer(kernel, 'platform', 'buggy', (_a, d) =>
      d?.name === 'boom' ? kernel.bug('buggy.c:1', 'kernel BUG at buggy.c:1!') : 0,
    );
    const audit = recordAudit(kernel);
    expect(kernel.addDevice({ bus: 'platform', name: 'boom' })).toBeNull();
    expect(audit.stop().crashes).toEqual([
      {
        chain: 'platform',
        action: BUS_NOTIFY_ADD_DEVICE,
        event: 'BUS_NOTIFY_ADD_DEVICE',
        block: 'buggy',
        device: 'boom',
        message: 'kernel BUG at buggy.c:1!',
        where: 'buggy.c:1',
        source: 'scenario',
      },
    ]);
  });

  it('report() reads as it goes; stop() ends the recording and keeps returning the same report', () => {
    const kernel = createKernel();
    answerer(kernel, 'platform', 'bad', only(BUS_NOTIFY_ADD_DEVICE, NOTIFY_BAD));
    const audit = recordAudit(kernel);
    kernel.addDevice({ bus: 'platform', name: 'a' });
    expect(audit.report().findings[0]!.answers[0]!.count).toBe(1);
    kernel.addDevice({ bus: 'platform', name: 'b' });
    const stopped = audit.stop();
    kernel.addDevice({ bus: 'platform', name: 'c' });
    expect(stopped.findings[0]!.answers[0]!.count).toBe(2);
    expect(audit.stop()).toBe(stopped);
    expect(audit.report()).toBe(stopped);
    expect(kernel.trace.enabled).toBe(false);
  });

  it('a report is plain data: it survives JSON', () => {
    const kernel = createKernel();
    answerer(kernel, 'i2c', 'e', only(BUS_NOTIFY_ADD_DEVICE, -ENODEV));
    const audit = recordAudit(kernel);
    kernel.addDevice({ bus: 'i2c', kind: 'adapter', name: 'a' });
    const report = audit.stop();
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('misuse: recordAudit() of something that is not a kernel', () => {
    expect(() => recordAudit({} as Kernel)).toThrow(SimError);
    expect(() => recordAudit(null as unknown as Kernel)).toThrow(
      /SIM_ERR_KERNEL_BAD_OPTION: recordAudit\(\) takes a kernel/,
    );
  });
});

describe('auditTrace(): a recorded trace', () => {
  function scenario(profile: string): { events: TraceEvent[]; live: ReturnType<typeof recordAudit> } {
    const kernel = createKernel({ profile });
    answerer(kernel, 'platform', 'veto', only(BUS_NOTIFY_BIND_DRIVER, NOTIFY_BAD));
    answerer(kernel, 'platform', 'errno', only(BUS_NOTIFY_ADD_DEVICE, -EBUSY));
    const live = recordAudit(kernel);
    const rec = kernel.trace.record();
    kernel.addDevice({ bus: 'platform', name: 'dev' });
    kernel.registerDriver({ name: 'dev', bus: 'platform', probe: 'ok' });
    rec.stop();
    return { events: [...rec.events], live };
  }

  it('gives the same findings as recording the kernel, from JSON Lines too', () => {
    for (const profile of ['v4.12', 'v4.12+bind-veto']) {
      const { events, live } = scenario(profile);
      const flags = profile === 'v4.12' ? [] : ['stopBindOnNotifyBad'];
      const parsed = JSON.parse(JSON.stringify(events)) as TraceEvent[];
      const fromTrace = auditTrace(parsed, { profile, flags });
      const fromKernel = live.stop();
      expect(fromTrace.findings).toEqual(fromKernel.findings);
      expect(fromTrace.byEvent).toEqual(fromKernel.byEvent);
      expect(fromTrace.profile).toBe(profile);
    }
  });

  it('with no flags the caller table is v4.12; the bus chains are those with BUS_NOTIFY_* actions unless named', () => {
    const kernel = createKernel();
    answerer(kernel, 'platform', 'bad', (a, d) => (a === BUS_NOTIFY_BIND_DRIVER && d === null ? NOTIFY_BAD : 0));
    const rec = kernel.trace.record();
    kernel.callChain(kernel.bus('platform').notifier, BUS_NOTIFY_BIND_DRIVER, null, 'test');
    rec.stop();
    expect(auditTrace(rec.events).findings[0]!.answers[0]).toMatchObject({
      outcome: 'ignored',
      handledBy: 'driver_sysfs_add',
    });
    expect(auditTrace(rec.events, { flags: ['stopBindOnNotifyBad'] }).findings[0]!.answers[0]).toMatchObject({
      outcome: 'honoured',
    });
    expect(auditTrace(rec.events, { buses: ['pci'] }).findings[0]).toMatchObject({ bus: null });
    expect(auditTrace(rec.events, { buses: ['pci'] }).findings[0]!.answers[0]!.outcome).toBe('unreported');
  });

  it.each([
    ['not an array', 'events', /auditTrace\(\) takes an array/],
    [[{}], {}, /is not a trace event/],
    [[], { flags: 'stopBindOnNotifyBad' }, /flags/],
    [[], { buses: 'pci' }, /buses/],
    [[], null, /options/],
  ])('misuse: %j, %j -> SIM_ERR_KERNEL_BAD_OPTION', (events, options, message) => {
    expect(() => auditTrace(events as never, options as never)).toThrow(message);
    try {
      auditTrace(events as never, options as never);
    } catch (e) {
      expect((e as SimError).code).toBe('SIM_ERR_KERNEL_BAD_OPTION');
    }
  });
});

describe('formatAuditReport()', () => {
  it('prints a scenario report in full', () => {
    const kernel = createKernel();
    answerer(kernel, 'pci', 'errno_notifier', only(BUS_NOTIFY_ADD_DEVICE, -EBUSY));
    answerer(kernel, 'pci', 'later', () => NOTIFY_OK);
    const audit = recordAudit(kernel);
    kernel.addDevice({ bus: 'pci', address: '0000:00:02.0', vendor: 0x8086, device: 0x1234 });
    expect(formatAuditReport(audit.stop())).toBe(
      [
        'Notifier answer audit (scenario), profile v4.12 (flags: none)',
        '1 kernel, 1 chain calls, 1 notifier with answers other than 0 / NOTIFY_OK / NOTIFY_DONE',
        '',
        'BUS_NOTIFY_ADD_DEVICE: 1 notifier, 1 ineffective',
        '  pci / errno_notifier: ineffective',
        '    -16 (EBUSY), device 0000:00:02.0: ignored by device_add()',
        '      device_add() ignores the answer; collateral: later',
        '      once, from scenario',
        '',
        'BUS_NOTIFY_DEL_DEVICE: none',
        '',
        'BUS_NOTIFY_REMOVED_DEVICE: none',
        '',
        'BUS_NOTIFY_BIND_DRIVER: none',
        '',
        'BUS_NOTIFY_BOUND_DRIVER: none',
        '',
        'BUS_NOTIFY_UNBIND_DRIVER: none',
        '',
        'BUS_NOTIFY_UNBOUND_DRIVER: none',
        '',
        'BUS_NOTIFY_DRIVER_NOT_BOUND: none',
        '',
        'Crashes: none',
        'Blocks never called: pci/later',
        '',
        'Verdict: 1 notifier answered something else: 1 on BUS_NOTIFY_ADD_DEVICE (1 ineffective); none on BUS_NOTIFY_BIND_DRIVER.',
        '',
      ].join('\n'),
    );
  });

  it('misuse: not a report', () => {
    expect(() => formatAuditReport({} as never)).toThrow(
      /SIM_ERR_KERNEL_BAD_OPTION: formatAuditReport\(\) takes a report/,
    );
  });
});
