import assert from 'node:assert/strict';
import { createKernel } from '@sim/core';
import { iommuGroupPlugin } from '@sim/iommu-group';
import { VFIO_GROUP_GET_STATUS, VFIO_GROUP_SET_CONTAINER, vfioPlugin } from '@sim/vfio';

// One NIC in IOMMU group 0, given to vfio-pci the way people do it, and a container set from userspace.
const kernel = createKernel({ profile: 'rfc-2017', plugins: [iommuGroupPlugin(), vfioPlugin()] });
kernel.registerDriver({ name: 'e1000e', bus: 'pci', ids: [{ vendor: 0x8086, device: 0x15b8 }] });
kernel.addDevice({ bus: 'pci', address: '0000:00:1f.6', vendor: 0x8086, device: 0x15b8 });

kernel.sysfs.write('/sys/bus/pci/drivers/e1000e/unbind', '0000:00:1f.6');
kernel.sysfs.write('/sys/bus/pci/devices/0000:00:1f.6/driver_override', 'vfio-pci');
kernel.sysfs.write('/sys/bus/pci/drivers_probe', '0000:00:1f.6');

const container = kernel.dev.open('/dev/vfio/vfio') ?? -1;
const group = kernel.dev.open('/dev/vfio/0') ?? -1;
assert.equal(kernel.dev.ioctl(group, VFIO_GROUP_SET_CONTAINER, container), 0);
assert.equal(kernel.dev.ioctl(group, VFIO_GROUP_SET_CONTAINER, container), -22); // -EINVAL: set already

const status = { argsz: 8, flags: 0 };
assert.equal(kernel.dev.ioctl(group, VFIO_GROUP_GET_STATUS, status), 0);
assert.equal(status.flags, 3); // VIABLE | CONTAINER_SET
