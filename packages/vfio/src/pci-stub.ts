import { KERN_INFO, type Kernel } from '@sim/core';

/** The stub driver's name: the one entry of v4.12's vfio_driver_whitelist[]. */
export const PCI_STUB = 'pci-stub';

/**
 * Models pci_stub_init()'s pci_register_driver(), drivers/pci/pci-stub.c: a NULL id table ("only dynamic id's"),
 * and pci_stub_probe(), which claims any device it is given ("claimed by stub").
 */
export function registerPciStub(kernel: Kernel): number | null {
  return kernel.registerDriver({
    name: PCI_STUB,
    bus: 'pci',
    probe: (dev) => {
      kernel.devPrintk(KERN_INFO, dev, 'claimed by stub');
      return 0;
    },
    // drivers/pci/pci-stub.c:39 (6.12): pci-stub does not use the DMA API; v4.12 has no such field.
    driverManagedDma: true,
  });
}
