import assert from 'node:assert/strict';
import { ACPI_LPSS_PM_DOMAIN, acpiCompanion, acpiLpssPlugin, pmDomainOf } from '@sim/acpi-lpss';
import { createKernel, ENOMEM, NOTIFY_BAD, NOTIFY_DONE } from '@sim/core';

for (const profile of ['v4.12', 'v4.12+bind-veto', 'v6.12']) {
  // A PC (sim's default machine): acpi_lpss_init() puts acpi_lpss_platform_notify on the platform bus.
  const kernel = createKernel({ profile, plugins: [acpiLpssPlugin()] });

  // A Lynxpoint LPSS I2C controller (INT33C2 has LPSS_LTR), as acpi_create_platform_device() names it, while the
  // kernfs allocation of its lpss_ltr directory fails once (as failslab would make it).
  kernel.inject.sysfs({ name: 'lpss_ltr', errno: -ENOMEM, times: 1 });
  const acpi = acpiCompanion({ hid: 'INT33C2', mmio: 0x1000 });
  // sysfs_create_group()'s -ENOMEM is the notifier's answer, and device_add() ignores it: the device is added.
  assert.equal(kernel.addDevice({ bus: 'platform', name: 'INT33C2:00', props: { acpi } }), 0);
  const dev = kernel.device('INT33C2:00')!;
  assert.equal(kernel.sysfs.exists(`${dev.path}/lpss_ltr`), false);
  assert.equal(pmDomainOf(dev), ACPI_LPSS_PM_DOMAIN);

  // A later block vetoes every bind. acpi-lpss has set the PM domain at BIND_DRIVER by then.
  kernel.bus('platform').registerNotifier({
    name: 'veto',
    notifierCall: (action) => (action === kernel.busEvents.BUS_NOTIFY_BIND_DRIVER ? NOTIFY_BAD : NOTIFY_DONE),
  });
  kernel.registerDriver({ name: 'i2c_designware', bus: 'platform', ids: ['INT33C2:00'], probe: 'ok' });

  if (profile === 'v4.12+bind-veto') {
    // The seed stops the bind; really_probe() sends DRIVER_NOT_BOUND and acpi-lpss clears the domain it set.
    assert.equal(dev.isBound, false);
    assert.equal(pmDomainOf(dev), null);
  } else {
    // v4.12 ignores the veto, 6.12's bus_notify() cannot see it: bound, with the LPSS PM domain.
    assert.equal(dev.isBound, true);
    assert.equal(pmDomainOf(dev), ACPI_LPSS_PM_DOMAIN);
  }
}
