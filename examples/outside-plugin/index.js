// A sim plugin of your own, in a package of its own: it watches one IOMMU group's notifier chain (v4.12's
// iommu_group_register_notifier()) and logs each event it hears, as a driver that cares about its group would.
// Load it in `sim` with `--plugin ./node_modules/sim-plugin-group-watch/index.js`; a scenario then names it:
// `plugins: [iommu-group, { name: group-watch, options: { group: 1 } }]`.
import { KERN_INFO, NOTIFY_DONE } from '@sim/core';
import {
  deviceIommuGroup,
  IOMMU_GROUP_PLUGIN,
  iommuGroupNotifyName,
  iommuGroupRegisterNotifier,
} from '@sim/iommu-group';

/** The plugin's name, which scenarios use in `plugins:`; sim reads it without calling the factory. */
export const pluginName = 'group-watch';

/**
 * The factory. `options.group` (required) is the IOMMU group to watch. sim calls it with a scenario's options,
 * once for each kernel it boots.
 * @param {{ group?: unknown }} options
 */
export default function groupWatch(options) {
  const group = options?.group;
  if (!Number.isInteger(group) || group < 0) {
    throw new TypeError(
      `group-watch: options.group must be the id of an IOMMU group (an integer >= 0), got ${JSON.stringify(group)}`,
    );
  }
  return {
    name: pluginName,
    dependencies: [IOMMU_GROUP_PLUGIN],
    setup(kernel) {
      const undo = [];
      const { BUS_NOTIFY_ADD_DEVICE } = kernel.busEvents;
      // The group appears with its first device: iommu_bus_notifier() (registered before us) makes it on
      // BUS_NOTIFY_ADD_DEVICE, so our bus notifier, called after it, finds it and subscribes to its chain once.
      let watching = false;
      const onBus = {
        name: 'group_watch_bus_notifier',
        notifierCall(action, dev) {
          if (action !== BUS_NOTIFY_ADD_DEVICE || watching || dev === null) return NOTIFY_DONE;
          const g = deviceIommuGroup(dev);
          if (g === null || g.id !== group) return NOTIFY_DONE;
          watching = true;
          if (!kernel.version.iommuGroupChain) {
            kernel.printk(KERN_INFO, `group-watch: group ${group} has no notifier chain on ${kernel.version.base}`);
            return NOTIFY_DONE;
          }
          const registration = iommuGroupRegisterNotifier(g, {
            name: 'group_watch_notifier',
            notifierCall(event, member) {
              kernel.printk(KERN_INFO, `group-watch: group ${group}: ${iommuGroupNotifyName(event)} ${member.name}`);
              return NOTIFY_DONE;
            },
          });
          undo.push(() => registration.unregister());
          kernel.printk(KERN_INFO, `group-watch: watching group ${group}`);
          return NOTIFY_DONE;
        },
      };
      const busRegistration = kernel.bus('pci').registerNotifier(onBus);
      undo.push(() => busRegistration.unregister());
      return () => {
        for (const u of undo.reverse()) u();
      };
    },
  };
}
