import assert from 'node:assert/strict';
import { createKernel, ENODEV, NOTIFY_BAD, NOTIFY_DONE } from '@sim/core';

for (const profile of ['v4.12', 'v4.12+bind-veto', 'v6.12']) {
  const kernel = createKernel({ profile });

  // A GPU on the PCI bus, and a driver that matches it (autoprobe off, so we bind by hand).
  kernel.sysfs.write('/sys/bus/pci/drivers_autoprobe', '0');
  kernel.addDevice({ bus: 'pci', address: '0000:01:00.0', vendor: 0x10de, device: 0x1b80, class: 0x030000 });
  kernel.registerDriver({ name: 'nouveau', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x1b80 }], probe: 'ok' });

  // A custom bus notifier that vetoes every bind. kernel.busEvents holds this kernel's BUS_NOTIFY_* values
  // (BIND_DRIVER is 4 on v4.12 and 3 on v6.12), so the notifier is written once for every profile.
  const { BUS_NOTIFY_BIND_DRIVER } = kernel.busEvents;
  kernel.bus('pci').registerNotifier({
    name: 'no-binds-here',
    notifierCall: (action) => (action === BUS_NOTIFY_BIND_DRIVER ? NOTIFY_BAD : NOTIFY_DONE),
  });

  const ret = kernel.sysfs.write('/sys/bus/pci/drivers/nouveau/bind', '0000:01:00.0\n');
  const driver = kernel.device('0000:01:00.0')?.driver?.name ?? null;

  if (profile === 'v4.12+bind-veto') {
    // With the seed patch, driver_sysfs_add() returns -EINVAL and the write fails like any failed bind.
    assert.equal(ret, -ENODEV);
    assert.equal(driver, null);
    assert.ok(kernel.dmesg.lines().some((l) => l.endsWith('really_probe: driver_sysfs_add(0000:01:00.0) failed')));
  } else {
    // v4.12 ignores the answer, and 6.12's bus_notify() returns nothing at all: the bind succeeds.
    assert.equal(ret, 13);
    assert.equal(driver, 'nouveau');
  }
}
