/**
 * The seed's due diligence over all six plugins: the audit finds the three ADD_DEVICE answers the paragraph names
 * and a fourth it left out, acpi_lpss_platform_notify's raw errno from sysfs_create_group(), all ignored by
 * device_add(); none on BUS_NOTIFY_BIND_DRIVER. This test lives here because @sim/acpi-lpss is the package that
 * adds the fourth; the other five are only its devDependencies.
 */
import { ACPI_LPSS_NOTIFIER_NAME, acpiLpssPlugin } from '@sim/acpi-lpss';
import {
  type AuditReport,
  auditDueDiligence,
  auditVerdictLine,
  createKernel,
  ENOMEM,
  formatAuditReport,
  recordAudit,
} from '@sim/core';
import { i2cdevPlugin } from '@sim/i2cdev';
import { iommuGroupPlugin } from '@sim/iommu-group';
import { keystonePlugin } from '@sim/keystone';
import { tceIommuPlugin } from '@sim/tce-iommu';
import { vfioPlugin } from '@sim/vfio';
import { describe, expect, it } from 'vitest';

const K2HK = { compatible: ['ti,k2hk-evm', 'ti,k2hk', 'ti,keystone'], model: 'K2HK EVM' };
/** The blocks the seed's paragraph names. */
const SEED_CLAIM = ['keystone_platform_notifier', 'tce_iommu_bus_notifier', 'i2cdev_notifier_call'];

/** The six plugins on one machine: keystone's board, a PowerNV TCE IOMMU, i2c-dev, vfio, and an ACPI x86 LPSS. */
function sixPlugins() {
  return [
    keystonePlugin(),
    iommuGroupPlugin({ buses: [] }),
    tceIommuPlugin({ platform: 'powernv' }),
    vfioPlugin(),
    i2cdevPlugin(),
    acpiLpssPlugin({ acpi: true }),
  ];
}

const audit = (profile: string) =>
  auditDueDiligence({ plugins: sixPlugins, machine: K2HK, profile, claimed: SEED_CLAIM });

const addDevice = (r: AuditReport) => r.byEvent.find((e) => e.event === 'BUS_NOTIFY_ADD_DEVICE')!;

describe('the due diligence over all six plugins', () => {
  it.each(['v4.12', 'v4.12+bind-veto', 'rfc-2017'])(
    '%s: four ineffective ADD_DEVICE answers, acpi_lpss_platform_notify the one the paragraph left out',
    (profile) => {
      const report = audit(profile);
      expect(addDevice(report)).toMatchObject({ findings: 4, ineffective: 4 });
      expect([...addDevice(report).blocks].sort()).toEqual([
        'i2c/i2cdev_notifier_call',
        'pci/tce_iommu_bus_notifier',
        `platform/${ACPI_LPSS_NOTIFIER_NAME}`,
        'platform/keystone_platform_notifier',
      ]);
      expect(report.claims).toEqual({
        claimed: SEED_CLAIM,
        missed: [`platform/${ACPI_LPSS_NOTIFIER_NAME}`],
        unfound: [],
      });
      const lpss = report.findings.find((f) => f.block === ACPI_LPSS_NOTIFIER_NAME)!;
      expect(lpss.verdict).toBe('ineffective');
      expect(lpss.answers.map((a) => [a.value, a.device, a.outcome, a.handledBy, a.sources])).toEqual([
        [-ENOMEM, 'INT33C2:7f', 'ignored', 'device_add', ['exercise:acpi-lpss']],
      ]);
      expect(auditVerdictLine(report)).toBe(
        'Verdict: 4 notifiers answered something else: 4 on BUS_NOTIFY_ADD_DEVICE (4 ineffective); none on BUS_NOTIFY_BIND_DRIVER; left out of the claim: platform/acpi_lpss_platform_notify.',
      );
    },
  );

  it('v6.12: tce-iommu is refused; keystone and acpi-lpss are still ineffective, i2c-dev answers NOTIFY_DONE now', () => {
    const report = audit('v6.12');
    expect(report.unsupported.map((u) => u.plugin)).toEqual(['tce-iommu']);
    expect([...addDevice(report).blocks].sort()).toEqual([
      `platform/${ACPI_LPSS_NOTIFIER_NAME}`,
      'platform/keystone_platform_notifier',
    ]);
    expect(addDevice(report)).toMatchObject({ findings: 2, ineffective: 2 });
    expect(report.claims?.missed).toEqual([`platform/${ACPI_LPSS_NOTIFIER_NAME}`]);
    expect(report.claims?.unfound).toEqual(['tce_iommu_bus_notifier', 'i2cdev_notifier_call']);
    const lpss = report.findings.find((f) => f.block === ACPI_LPSS_NOTIFIER_NAME)!;
    expect(lpss.answers[0]).toMatchObject({ value: -ENOMEM, outcome: 'ignored', handledBy: 'device_add' });
  });

  it('the NULL-data part: acpi_lpss_platform_notify dereferences NULL on every event keystone lets through', () => {
    const report = audit('v4.12');
    const lpss = report.crashes.filter((c) => c.block === ACPI_LPSS_NOTIFIER_NAME);
    // keystone answers NOTIFY_BAD (stop bit) to ADD_DEVICE with NULL data, so acpi-lpss sees the other seven.
    expect(lpss).toHaveLength(7);
    expect(lpss.every((c) => c.source === 'null-data:platform' && /ACPI_COMPANION\(dev\)/.test(c.message))).toBe(true);
    expect(formatAuditReport(report)).toContain('Left out of the claim: platform/acpi_lpss_platform_notify\n');
  });
});

describe('a bind vetoed after acpi-lpss acted, audited', () => {
  it.each([
    ['v4.12', 'ignored', undefined],
    [
      'v4.12+bind-veto',
      'honoured',
      [{ block: ACPI_LPSS_NOTIFIER_NAME, value: 0, undoneOn: 'BUS_NOTIFY_DRIVER_NOT_BOUND' }],
    ],
    ['v6.12', 'ignored', undefined],
  ] as const)(
    '%s: the veto is %s; the PM domain acpi-lpss set is its collateral only when the bind stops',
    (profile, outcome, actedBefore) => {
      const kernel = createKernel({ profile, plugins: [acpiLpssPlugin()] });
      const recording = recordAudit(kernel);
      kernel.addDevice({ bus: 'platform', name: 'INT33C2:00', props: { acpi: { hid: 'INT33C2', mmio: 0x1000 } } });
      kernel.inject.notifier({
        chain: 'platform',
        action: kernel.busEvents.BUS_NOTIFY_BIND_DRIVER,
        answer: 'NOTIFY_BAD',
      });
      kernel.registerDriver({ name: 'i2c_designware', bus: 'platform', ids: ['INT33C2:00'], probe: 'ok' });
      const report = recording.stop();
      const veto = report.findings.find((f) => f.block === 'notifier-error-inject')!;
      expect(veto.answers[0]!.outcome).toBe(outcome);
      expect(veto.answers[0]!.actedBefore).toEqual(actedBefore);
    },
  );
});
