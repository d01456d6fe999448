import type { BusOps } from '../base/bus.ts';
import { deviceAdd } from '../base/core.ts';
import {
  type DeviceImpl,
  iommuDeviceUnuseDefaultDomain,
  iommuDeviceUseDefaultDomain,
  type OfNode,
  PlatformDev,
} from '../base/device.ts';
import type { DriverImpl } from '../base/driver.ts';
import { SimError, show } from '../errors/sim-error.ts';
import { attr } from '../fs/kernfs.ts';
import type { KernelImpl } from '../kernel/kernel-impl.ts';
import { asSleepable, type Sleepable } from '../kernel/sched.ts';
import { driverOverrideShow, driverOverrideStore } from '../lib/override.ts';
import { checkName, checkOfNode, checkProps } from './spec.ts';

/** PLATFORM_DEVID_NONE and PLATFORM_DEVID_AUTO of include/linux/platform_device.h. */
export const PLATFORM_DEVID_NONE = -1;
export const PLATFORM_DEVID_AUTO = -2;

/** Models of_driver_match_device(), include/linux/of_device.h: any compatible string in common. */
export function ofDriverMatchDevice(ofNode: OfNode | null, drv: DriverImpl): boolean {
  if (ofNode === null || drv.ofMatch.length === 0) return false;
  return ofNode.compatible.some((c) => drv.ofMatch.includes(c));
}

/** Models platform_match_id(), drivers/base/platform.c: the id table entry named like the device. */
function platformMatchId(drv: DriverImpl, pdev: PlatformDev): string | null {
  if (drv.ids === null) return null;
  for (const id of drv.ids) if (id === pdev.pdevName) return id;
  return null;
}

/** Models platform_match(), drivers/base/platform.c: override, then OF, then the id table, then the name. */
function platformMatch(dev: DeviceImpl, drv: DriverImpl): number {
  const pdev = dev as PlatformDev;
  if (pdev.driverOverride !== null) return pdev.driverOverride === drv.name ? 1 : 0;
  if (ofDriverMatchDevice(pdev.ofNode, drv)) return 1;
  if (drv.ids !== null) return platformMatchId(drv, pdev) !== null ? 1 : 0;
  return pdev.pdevName === drv.name ? 1 : 0;
}

/** The platform bus (drivers/base/platform.c). Devices without a parent sit in /sys/devices/platform. */
export function platformBusOps(k: KernelImpl): BusOps {
  const autoIds = new Set<number>();
  const autoIdOf = new Map<DeviceImpl, number>();
  return {
    name: 'platform',
    custom: false,
    match: platformMatch,
    probe: null,
    remove: null,
    /**
     * Models platform_dma_configure(), drivers/base/platform.c (6.12): firmware DMA set-up (always fine in sim),
     * then, unless the driver is driver_managed_dma, iommu_device_use_default_domain().
     */
    dmaConfigure: (dev, drv) =>
      drv.driverManagedDma ? 0 : k.withFrame('platform_dma_configure', () => iommuDeviceUseDefaultDomain(dev)),
    /** Models platform_dma_cleanup(), drivers/base/platform.c (6.12). */
    dmaCleanup: (dev, drv) => {
      if (!drv.driverManagedDma) iommuDeviceUnuseDefaultDomain(dev);
    },
    matchId: (dev, drv) => platformMatchId(drv, dev as PlatformDev),
    checkId: (driver, id) => {
      if (typeof id !== 'string' || id === '') {
        throw new SimError(
          'SIM_ERR_DRIVER_BAD_SPEC',
          `driver '${driver}': platform ids are device names such as 'serial8250', got ${show(id)}`,
        );
      }
      return id;
    },
    deviceAttrs: (dev) => ({
      driver_override: attr(
        0o644,
        () => driverOverrideShow(dev),
        (buf, count) => driverOverrideStore(dev, buf, count),
      ),
      modalias: attr(0o444, () => `platform:${(dev as PlatformDev).pdevName}\n`),
    }),
    ueventVars: (dev) => [`MODALIAS=platform:${(dev as PlatformDev).pdevName}`],
    prepareAdd: (raw) => {
      const spec = raw as { name?: unknown; id?: unknown; ofNode?: unknown; parent?: unknown; props?: unknown };
      const name = checkName(spec.name, 'platform device name');
      const id = spec.id ?? PLATFORM_DEVID_NONE;
      if (id !== 'auto' && !(Number.isInteger(id) && (id as number) >= -1 && (id as number) <= 0x7fffffff)) {
        throw new SimError(
          'SIM_ERR_DEVICE_BAD_SPEC',
          `platform device '${name}': id ${show(id)} is not -1, a non-negative integer or 'auto'`,
        );
      }
      const ofNode = checkOfNode(spec.ofNode, name);
      const props = checkProps(spec.props, name);
      const parent =
        spec.parent === undefined ? null : k.deviceOrThrow(spec.parent, undefined, `platform device '${name}' parent`);
      return () => platformDeviceAdd(k, name, id as number | 'auto', ofNode, parent, props, autoIds, autoIdOf);
    },
    // Models platform_device_unregister(): device_del(), then the automatic id goes back.
    removeDevice: function* platformDeviceUnregister(dev): Sleepable<number> {
      yield* k.unregisterTree(dev);
      const n = autoIdOf.get(dev);
      if (n !== undefined) {
        autoIds.delete(n);
        autoIdOf.delete(dev);
      }
      return 0;
    },
  };
}

/** Models platform_device_add(), drivers/base/platform.c: the name from pdev->name and id, then device_add(). */
function* platformDeviceAdd(
  k: KernelImpl,
  pdevName: string,
  id: number | 'auto',
  ofNode: OfNode | null,
  parent: DeviceImpl | null,
  props: Readonly<Record<string, unknown>>,
  autoIds: Set<number>,
  autoIdOf: Map<DeviceImpl, number>,
): Sleepable<number> {
  let devId: number = id === 'auto' ? 0 : id;
  let name = pdevName;
  if (id === 'auto') {
    while (autoIds.has(devId)) devId++;
    autoIds.add(devId);
    name = `${pdevName}.${devId}.auto`;
  } else if (id !== PLATFORM_DEVID_NONE) {
    name = `${pdevName}.${id}`;
  }
  const container = parent ?? k.container('platform');
  const bus = k.busesByName.get('platform')!;
  const dev = new PlatformDev(
    name,
    bus,
    parent,
    '/sys/devices/platform',
    container,
    ofNode,
    props,
    pdevName,
    id === 'auto' ? PLATFORM_DEVID_AUTO : id,
  );
  const ret = yield* asSleepable(deviceAdd(k, dev));
  if (id === 'auto') {
    if (ret === 0) autoIdOf.set(dev, devId);
    else autoIds.delete(devId);
  }
  return ret;
}
