/**
 * The seed RFC's due-diligence paragraph, as data: run over keystone, tce-iommu and i2cdev, the audit finds three
 * notifiers that answer something other than 0 / NOTIFY_OK / NOTIFY_DONE, all on BUS_NOTIFY_ADD_DEVICE (keystone's
 * NOTIFY_BAD for NULL data, tce-iommu's and i2cdev's errno), all ignored by device_add(), and none on
 * BUS_NOTIFY_BIND_DRIVER. This test lives here because @sim/tce-iommu is the one package that completes the trio;
 * @sim/keystone and @sim/i2cdev are only its devDependencies.
 */
import {
  type AuditAnswer,
  type AuditReport,
  auditDueDiligence,
  auditVerdictLine,
  BUS_NOTIFY_ADD_DEVICE,
  BUS_NOTIFY_DEL_DEVICE,
  BUS_NOTIFY_EVENTS,
  busNotifyName,
  createKernel,
  decodeNotifierAnswer,
  EBUSY,
  EINVAL,
  ENODEV,
  ENOENT,
  formatAuditReport,
  type Kernel,
  NOTIFY_BAD,
  NOTIFY_OK,
  recordAudit,
} from '@sim/core';
import { i2cdevPlugin } from '@sim/i2cdev';
import { iommuGroupPlugin } from '@sim/iommu-group';
import { keystonePlugin } from '@sim/keystone';
import { tceIommuPlugin } from '@sim/tce-iommu';
import { describe, expect, it } from 'vitest';

const K2HK = { compatible: ['ti,k2hk-evm', 'ti,k2hk', 'ti,keystone'], model: 'K2HK EVM' };

/** The three notifiers: keystone's machine, a PowerNV TCE IOMMU (no generic IOMMU driver on PCI), i2c-dev. */
function seedPlugins() {
  return [keystonePlugin(), iommuGroupPlugin({ buses: [] }), tceIommuPlugin({ platform: 'powernv' }), i2cdevPlugin()];
}

function ignoredByDeviceAdd(
  value: number,
  device: string | null,
  source: AuditAnswer['outcomeSource'],
  calledBy: string,
  sources: string[],
  count = 1,
): AuditAnswer {
  return {
    value,
    decoded: decodeNotifierAnswer(value),
    device,
    calledBy,
    outcome: 'ignored',
    outcomeSource: source,
    handledBy: 'device_add',
    effect: 'device_add() ignores the answer',
    overwrittenBy: null,
    collateral: [],
    count,
    sources,
  };
}

function expectedReport(profile: string, flags: string[]): AuditReport {
  return {
    kind: 'due-diligence',
    profile,
    base: '4.12',
    flags,
    unsupported: [],
    // exercise: keystone, tce-iommu, i2cdev (iommu-group has none); lifecycle: platform, pci, i2c; NULL data: 3 x 8.
    kernels: 3 + 3 + 24,
    // platform 1 + 9 + 8; pci 6 + 9 + 6 (two NULL calls die) and 2 on the IOMMU group's chain; i2c 1 + 12 + 6.
    chainCalls: 18 + 23 + 19,
    findings: [
      {
        chain: 'platform',
        bus: 'platform',
        action: BUS_NOTIFY_ADD_DEVICE,
        event: 'BUS_NOTIFY_ADD_DEVICE',
        block: 'keystone_platform_notifier',
        verdict: 'ineffective',
        answers: [
          ignoredByDeviceAdd(
            NOTIFY_BAD,
            null,
            'caller-table',
            'keystone exercise',
            ['exercise:keystone', 'null-data:platform'],
            2,
          ),
        ],
      },
      {
        chain: 'pci',
        bus: 'pci',
        action: BUS_NOTIFY_ADD_DEVICE,
        event: 'BUS_NOTIFY_ADD_DEVICE',
        block: 'tce_iommu_bus_notifier',
        verdict: 'ineffective',
        answers: [
          ignoredByDeviceAdd(-EINVAL, '0000:7f:00.0', 'trace', 'device_add', ['exercise:tce-iommu']),
          ignoredByDeviceAdd(-EBUSY, '0000:7f:00.1', 'caller-table', 'tce-iommu exercise', ['exercise:tce-iommu']),
          ignoredByDeviceAdd(-ENOENT, '0000:7f:00.1', 'caller-table', 'tce-iommu exercise', ['exercise:tce-iommu']),
        ],
      },
      {
        chain: 'i2c',
        bus: 'i2c',
        action: BUS_NOTIFY_ADD_DEVICE,
        event: 'BUS_NOTIFY_ADD_DEVICE',
        block: 'i2cdev_notifier_call',
        verdict: 'ineffective',
        answers: [ignoredByDeviceAdd(-ENODEV, 'i2c-1048575', 'trace', 'device_add', ['exercise:i2cdev'])],
      },
    ],
    byEvent: BUS_NOTIFY_EVENTS.map((action) => ({
      chainKind: 'bus' as const,
      action,
      event: busNotifyName(action)!,
      findings: action === BUS_NOTIFY_ADD_DEVICE ? 3 : 0,
      ineffective: action === BUS_NOTIFY_ADD_DEVICE ? 3 : 0,
      effective: 0,
      propagated: 0,
      unknown: 0,
      blocks:
        action === BUS_NOTIFY_ADD_DEVICE
          ? ['platform/keystone_platform_notifier', 'pci/tce_iommu_bus_notifier', 'i2c/i2cdev_notifier_call']
          : [],
    })),
    // NULL data is never sent by the driver core; where a notifier dereferences it, the kernel dies.
    crashes: [
      ...[BUS_NOTIFY_ADD_DEVICE, BUS_NOTIFY_DEL_DEVICE].map((action) => ({
        chain: 'pci',
        action,
        event: busNotifyName(action)!,
        block: 'tce_iommu_bus_notifier',
        device: null,
        message: 'Unable to handle kernel paging request for data (dev is NULL)',
        where: `arch/powerpc/kernel/iommu.c:${action === BUS_NOTIFY_ADD_DEVICE ? 1112 : 1177}`,
        source: 'null-data:pci',
      })),
      ...[BUS_NOTIFY_ADD_DEVICE, BUS_NOTIFY_DEL_DEVICE].map((action) => ({
        chain: 'i2c',
        action,
        event: busNotifyName(action)!,
        block: 'i2cdev_notifier_call',
        device: null,
        message: 'BUG: unable to handle kernel NULL pointer dereference (dev->type, data is NULL)',
        where: `drivers/i2c/i2c-dev.c:${action === BUS_NOTIFY_ADD_DEVICE ? 544 : 582}`,
        source: 'null-data:i2c',
      })),
    ],
    coverage: [
      { chain: 'platform', block: 'keystone_platform_notifier', calls: 18 },
      { chain: 'pci', block: 'tce_iommu_bus_notifier', calls: 21 },
      { chain: 'i2c', block: 'i2cdev_notifier_call', calls: 19 },
    ],
    totals: { findings: 3, ineffective: 3, effective: 0, propagated: 0, unknown: 0 },
  };
}

const TEXT = (profile: string, flags: string) =>
  [
    `Notifier answer audit (due-diligence), profile ${profile} (flags: ${flags})`,
    '30 kernels, 60 chain calls, 3 notifiers with answers other than 0 / NOTIFY_OK / NOTIFY_DONE',
    '',
    'BUS_NOTIFY_ADD_DEVICE: 3 notifiers, 3 ineffective',
    '  platform / keystone_platform_notifier: ineffective',
    "    NOTIFY_BAD (0x8002), NULL data: ignored by device_add() (inferred: the driver core's caller of this event)",
    '      device_add() ignores the answer; collateral: none',
    '      2 times, from exercise:keystone, null-data:platform',
    '  pci / tce_iommu_bus_notifier: ineffective',
    '    -22 (EINVAL), device 0000:7f:00.0: ignored by device_add()',
    '      device_add() ignores the answer; collateral: none',
    '      once, from exercise:tce-iommu',
    "    -16 (EBUSY), device 0000:7f:00.1: ignored by device_add() (inferred: the driver core's caller of this event)",
    '      device_add() ignores the answer; collateral: none',
    '      once, from exercise:tce-iommu',
    "    -2 (ENOENT), device 0000:7f:00.1: ignored by device_add() (inferred: the driver core's caller of this event)",
    '      device_add() ignores the answer; collateral: none',
    '      once, from exercise:tce-iommu',
    '  i2c / i2cdev_notifier_call: ineffective',
    '    -19 (ENODEV), device i2c-1048575: ignored by device_add()',
    '      device_add() ignores the answer; collateral: none',
    '      once, from exercise:i2cdev',
    ...BUS_NOTIFY_EVENTS.slice(1).flatMap((a) => ['', `${busNotifyName(a)}: none`]),
    '',
    'Crashes: 4',
    '  pci BUS_NOTIFY_ADD_DEVICE, NULL data, in tce_iommu_bus_notifier: Unable to handle kernel paging request for data (dev is NULL) (arch/powerpc/kernel/iommu.c:1112) [null-data:pci]',
    '  pci BUS_NOTIFY_DEL_DEVICE, NULL data, in tce_iommu_bus_notifier: Unable to handle kernel paging request for data (dev is NULL) (arch/powerpc/kernel/iommu.c:1177) [null-data:pci]',
    '  i2c BUS_NOTIFY_ADD_DEVICE, NULL data, in i2cdev_notifier_call: BUG: unable to handle kernel NULL pointer dereference (dev->type, data is NULL) (drivers/i2c/i2c-dev.c:544) [null-data:i2c]',
    '  i2c BUS_NOTIFY_DEL_DEVICE, NULL data, in i2cdev_notifier_call: BUG: unable to handle kernel NULL pointer dereference (dev->type, data is NULL) (drivers/i2c/i2c-dev.c:582) [null-data:i2c]',
    'Blocks never called: none',
    '',
    'Verdict: 3 notifiers answered something else: 3 on BUS_NOTIFY_ADD_DEVICE (3 ineffective); none on BUS_NOTIFY_BIND_DRIVER.',
    '',
  ].join('\n');

describe("the seed's due diligence, run", () => {
  it('v4.12: three ineffective answers on ADD_DEVICE, none on BIND_DRIVER (the report in full)', () => {
    const report = auditDueDiligence({ plugins: seedPlugins(), machine: K2HK });
    expect(report).toEqual(expectedReport('v4.12', []));
    expect(formatAuditReport(report)).toBe(TEXT('v4.12', 'none'));
  });

  it('v4.12+bind-veto changes nothing here: none of the three answers on BIND_DRIVER', () => {
    const report = auditDueDiligence({ plugins: seedPlugins(), machine: K2HK, profile: 'v4.12+bind-veto' });
    expect(report).toEqual(expectedReport('v4.12+bind-veto', ['stopBindOnNotifyBad']));
    expect(formatAuditReport(report)).toBe(TEXT('v4.12+bind-veto', 'stopBindOnNotifyBad'));
  });

  it("v6.12: the modern state of the seed's paragraph: tce gone, i2cdev answers NOTIFY_OK/DONE, keystone unchanged", () => {
    const report = auditDueDiligence({ plugins: seedPlugins(), machine: K2HK, profile: 'v6.12' });
    expect(report).toMatchObject({ profile: 'v6.12', base: '6.12', flags: [] });
    expect(report.unsupported.map((u) => u.plugin)).toEqual(['tce-iommu']);
    expect(report.unsupported[0]!.reason).toContain('tce_iommu_bus_notifier() is gone');
    // Only keystone's NULL-data answer is left, and on 6.12 no driver-core caller can even see it.
    expect(report.findings.map((f) => [f.block, f.event, f.action])).toEqual([
      ['keystone_platform_notifier', 'BUS_NOTIFY_ADD_DEVICE', 0],
    ]);
    expect(report.findings[0]!.answers[0]).toMatchObject({
      value: NOTIFY_BAD,
      outcome: 'ignored',
      effect: 'bus_notify() returns nothing: the answer can only stop the later blocks of the chain',
    });
    expect(report.crashes.map((c) => c.where)).toEqual(['drivers/i2c/i2c-dev.c:671', 'drivers/i2c/i2c-dev.c:709']);
    const text = formatAuditReport(report);
    expect(text.split('\n').slice(0, 2)).toEqual([
      'Notifier answer audit (due-diligence), profile v6.12 (Linux 6.12, flags: none)',
      `Not on Linux 6.12: tce-iommu: ${report.unsupported[0]!.reason}`,
    ]);
    expect(auditVerdictLine(report)).toBe(
      'Verdict: 1 notifier answered something else: 1 on BUS_NOTIFY_ADD_DEVICE (1 ineffective); none on BUS_NOTIFY_BIND_DRIVER.',
    );
  });

  it('the report is JSON', () => {
    const report = auditDueDiligence({ plugins: seedPlugins(), machine: K2HK });
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    expect(auditVerdictLine(report)).toBe(
      'Verdict: 3 notifiers answered something else: 3 on BUS_NOTIFY_ADD_DEVICE (3 ineffective); none on BUS_NOTIFY_BIND_DRIVER.',
    );
  });

  it("collateral: a user's notifier registered after i2cdev never sees the out-of-minors adapter", () => {
    const custom = {
      name: 'custom',
      setup: (k: Kernel) =>
        k.bus('i2c').registerNotifier({ name: 'custom_notifier', notifierCall: () => NOTIFY_OK }).unregister,
    };
    const report = auditDueDiligence({ plugins: [i2cdevPlugin(), custom] });
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]!.answers).toEqual([
      {
        ...ignoredByDeviceAdd(-ENODEV, 'i2c-1048575', 'trace', 'device_add', ['exercise:i2cdev']),
        collateral: ['custom_notifier'],
      },
    ]);
    expect(formatAuditReport(report)).toContain('      device_add() ignores the answer; collateral: custom_notifier\n');
    // A scenario on a kernel of the user's own shows the same.
    const kernel = createKernel({ plugins: [i2cdevPlugin(), custom] });
    const audit = recordAudit(kernel);
    kernel.addDevice({ bus: 'i2c', kind: 'adapter', name: 'numbered', nr: 1048575 });
    expect(audit.stop().findings[0]!.answers[0]).toMatchObject({
      value: -ENODEV,
      outcome: 'ignored',
      outcomeSource: 'trace',
      collateral: ['custom_notifier'],
      sources: ['scenario'],
    });
  });

  it('on a machine that is not a Keystone, keystone registers nothing and drops out of the report', () => {
    const report = auditDueDiligence({ plugins: seedPlugins() });
    expect(report.findings.map((f) => f.block)).toEqual(['tce_iommu_bus_notifier', 'i2cdev_notifier_call']);
  });

  it('with the generic IOMMU driver on PCI too, its notifier groups devices first: -EBUSY comes through device_add()', () => {
    const plugins = [iommuGroupPlugin(), tceIommuPlugin({ platform: 'powernv' })];
    const report = auditDueDiligence({ plugins });
    const tce = report.findings.find((f) => f.block === 'tce_iommu_bus_notifier')!;
    expect(tce.answers.find((a) => a.value === -EBUSY && a.outcomeSource === 'trace')).toMatchObject({
      calledBy: 'device_add',
      handledBy: 'device_add',
    });
    // iommu_bus_notifier answers NOTIFY_OK or NOTIFY_DONE on ADD_DEVICE: never a finding.
    expect(report.findings.map((f) => f.block)).toEqual(['tce_iommu_bus_notifier']);
  });
});
