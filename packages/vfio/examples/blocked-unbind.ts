import assert from 'node:assert/strict';
import { createKernel } from '@sim/core';
import { iommuGroupPlugin } from '@sim/iommu-group';
import {
  VFIO_DEVICE_SET_IRQS,
  VFIO_GROUP_GET_DEVICE_FD,
  VFIO_GROUP_SET_CONTAINER,
  VFIO_PCI_REQ_IRQ_INDEX,
  VFIO_SET_IOMMU,
  VFIO_TYPE1v2_IOMMU,
  vfioPlugin,
} from '@sim/vfio';

// A NIC on vfio-pci. Task "qemu" holds its device fd for 25 s; task "sh" unbinds it meanwhile: the write blocks in
// vfio_del_group_dev() until qemu closes the fd, then returns its byte count.
const kernel = createKernel({ profile: 'v4.12', plugins: [iommuGroupPlugin(), vfioPlugin({ ids: '8086:15b8' })] });
kernel.addDevice({ bus: 'pci', address: '0000:00:1f.6', vendor: 0x8086, device: 0x15b8 });
assert.equal(kernel.device('0000:00:1f.6')?.driver?.name, 'vfio-pci');

const run = kernel.runTasks([
  {
    name: 'qemu',
    *run(sys) {
      const container = (yield* sys.open('/dev/vfio/vfio')) ?? -1;
      const group = (yield* sys.open('/dev/vfio/0')) ?? -1;
      yield* sys.ioctl(group, VFIO_GROUP_SET_CONTAINER, container);
      yield* sys.ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
      const fd = (yield* sys.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, '0000:00:1f.6')) ?? -1;
      // The request eventfd (sim has no eventfd(2): 42 stands for one).
      yield* sys.ioctl(fd, VFIO_DEVICE_SET_IRQS, { index: VFIO_PCI_REQ_IRQ_INDEX, eventfd: 42 });
      yield* sys.sleep(25_000);
      return yield* sys.close(fd);
    },
  },
  {
    name: 'sh',
    *run(sys) {
      return yield* sys.write('/sys/bus/pci/drivers/vfio-pci/unbind', '0000:00:1f.6');
    },
  },
]);
assert.equal(run.results.sh, 12); // the bytes written, once the fd was closed
assert.equal(kernel.device('0000:00:1f.6')?.driver, null);
assert.ok(kernel.dmesg.lines().some((l) => l.endsWith('vfio-pci 0000:00:1f.6: Relaying device request to user (#0)')));
