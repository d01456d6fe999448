// A plugin module of your own: `sim run examples/netdev.yaml --plugin examples/netdev-plugin.mjs`.
// It models a sliver of net/core/dev.c: a raw notifier chain, netdev_chain, and a PCI NIC driver whose probe
// registers a net device; register_netdevice() calls the chain with NETDEV_REGISTER and gives up when a block
// says no (notifier_to_errno()).
import { KERN_ERR, KERN_INFO, notifierToErrno } from '@sim/core';

const NETDEV_REGISTER = 0x0005;
const NETDEV_UNREGISTER = 0x0006;
const NAMES = { [NETDEV_REGISTER]: 'NETDEV_REGISTER', [NETDEV_UNREGISTER]: 'NETDEV_UNREGISTER' };

/** The plugin's name, which scenarios use in `plugins:`; sim reads it without calling the factory. */
export const pluginName = 'netdev';

/** The factory: sim calls it with the scenario's options, once for each kernel it boots. */
export default function netdevPlugin(options = {}) {
  const ids = options.ids ?? [];
  return {
    name: pluginName,
    setup(kernel) {
      const chain = kernel.createChain('raw', 'netdev', (a) => NAMES[a] ?? `action ${a}`);
      const names = new Map();
      const ret = kernel.registerDriver({
        name: 'demo-nic',
        bus: 'pci',
        ids,
        probe: (dev) => {
          // dev_alloc_name(): the lowest ethN free.
          let n = 0;
          while ([...names.values()].includes(`eth${n}`)) n++;
          const name = `eth${n}`;
          const err = notifierToErrno(kernel.callChain(chain, NETDEV_REGISTER, dev, 'register_netdevice'));
          if (err !== 0) {
            kernel.devPrintk(KERN_ERR, dev, `register_netdev failed: ${err}`);
            return err;
          }
          names.set(dev.name, name);
          kernel.devPrintk(KERN_INFO, dev, `${name}: registered`);
          return 0;
        },
        remove: (dev) => {
          kernel.callChain(chain, NETDEV_UNREGISTER, dev, 'unregister_netdevice');
          names.delete(dev.name);
        },
      });
      return () => {
        if (ret === 0) kernel.unregisterDriver('demo-nic', 'pci');
        kernel.dropChain(chain);
      };
    },
  };
}
