import { KERN_INFO, type Kernel } from '@sim/core';
import { buildStoryKernel, seedStory, VFIO_GROUP_SET_CONTAINER, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU } from '@sim/vfio';
import { expect } from 'vitest';

export const HOST_BRIDGE = '0000:00:00.0';
export const ROOT_PORT = '0000:00:01.0';
export const GPU = '0000:01:00.0';
export const AUDIO = '0000:01:00.1';

/** The seed story's machine (nothing run): group 0 the host bridge; group 1 root port (pcieport), GPU, audio (snd_hda_intel). */
export function seedKernel(profile = 'v4.12', dynamicDebug = true): Kernel {
  return buildStoryKernel(seedStory, { profile, dynamicDebug });
}

/** echo text > path, expecting success (bytes written). */
export function write(k: Kernel, path: string, text: string): void {
  const ret = k.sysfs.write(path, text);
  expect(ret, `echo ${text.trim()} > ${path}`).toBeGreaterThan(0);
}

/** Unbinds a device from whatever driver it has. */
export function unbind(k: Kernel, dev: string): number | null {
  const drv = k.device(dev)!.driver!.name;
  return k.sysfs.write(`/sys/bus/pci/drivers/${drv}/unbind`, `${dev}\n`);
}

/** Gives a device to a driver the way people do: driver_override + drivers_probe (unbinding it first). */
export function give(k: Kernel, dev: string, driver: string): void {
  if (k.device(dev)!.driver !== null) expect(unbind(k, dev)).toBeGreaterThan(0);
  write(k, `/sys/bus/pci/devices/${dev}/driver_override`, `${driver}\n`);
  write(k, '/sys/bus/pci/drivers_probe', `${dev}\n`);
  expect(k.device(dev)!.driver?.name).toBe(driver);
}

/** Both GPU functions on vfio-pci. */
export function bothToVfio(k: Kernel): void {
  give(k, GPU, 'vfio-pci');
  give(k, AUDIO, 'vfio-pci');
}

/** Opens the container and group 1, sets the container (the group goes live) and, unless told not to, the IOMMU. */
export function goLive(k: Kernel, iommu = true): { container: number; group: number } {
  const container = k.dev.open('/dev/vfio/vfio')!;
  const group = k.dev.open('/dev/vfio/1')!;
  expect(container).toBeGreaterThanOrEqual(3);
  expect(group).toBeGreaterThanOrEqual(3);
  expect(k.dev.ioctl(group, VFIO_GROUP_SET_CONTAINER, container)).toBe(0);
  if (iommu) expect(k.dev.ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU)).toBe(0);
  return { container, group };
}

/** The log without timestamps. */
export const lines = (k: Kernel) => k.dmesg.lines({ timestamps: false });

/** The log without timestamps and without debug lines. */
export const infoLines = (k: Kernel) => k.dmesg.lines({ level: KERN_INFO, timestamps: false });
