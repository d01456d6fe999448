import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createKernel, type Kernel, SimError } from '@sim/core';
import * as ours from '@sim/iommu-group';
import { explainGroup, VFIO_GROUP_GET_STATUS, VFIO_GROUP_SET_CONTAINER, vfioPlugin } from '@sim/vfio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A second copy of a plugin package in one process is what a bundled `sim` plus a --plugin module with its own
// node_modules gives, or two versions side by side in an npm tree. Copies of the source directory are separate
// modules to the loader (their own classes, their own module-level values), as a second install is.

type IommuGroupModule = typeof ours;
type VfioModule = typeof import('@sim/vfio');

const copies: string[] = [];

/** Copies a package's src/ into a fresh temp directory and imports the copy. */
async function copyOf<T>(pkg: string): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `sim-copy-${pkg}-`));
  copies.push(dir);
  cpSync(new URL(`../../${pkg}/src/`, import.meta.url), dir, {
    recursive: true,
    filter: (src) => !src.endsWith('.test.ts'),
  });
  return (await import(pathToFileURL(join(dir, 'index.ts')).href)) as T;
}

let other: IommuGroupModule;
let otherVfio: VfioModule;

beforeAll(async () => {
  other = await copyOf<IommuGroupModule>('iommu-group');
  otherVfio = await copyOf<VfioModule>('vfio');
});

afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

const NIC = '0000:00:1f.6';

/** The by-hand story of the vfio README: a NIC given to vfio-pci, its group opened and set to a container. */
function handToVfio(k: Kernel): void {
  k.registerDriver({ name: 'e1000e', bus: 'pci', ids: [{ vendor: 0x8086, device: 0x15b8 }] });
  k.addDevice({ bus: 'pci', address: NIC, vendor: 0x8086, device: 0x15b8 });
  k.sysfs.write('/sys/bus/pci/drivers/e1000e/unbind', NIC);
  k.sysfs.write(`/sys/bus/pci/devices/${NIC}/driver_override`, 'vfio-pci');
  expect(k.sysfs.write('/sys/bus/pci/drivers_probe', NIC)).toBeGreaterThan(0);
  expect(k.device(NIC)!.driver?.name).toBe('vfio-pci');
  expect(k.dev.exists('/dev/vfio/0')).toBe(true);
  const container = k.dev.open('/dev/vfio/vfio')!;
  const group = k.dev.open('/dev/vfio/0')!;
  expect(k.dev.ioctl(group, VFIO_GROUP_SET_CONTAINER, container)).toBe(0);
  const status = { argsz: 8, flags: 0 };
  expect(k.dev.ioctl(group, VFIO_GROUP_GET_STATUS, status)).toBe(0);
  expect(status.flags).toBe(3);
}

describe('two copies of @sim/iommu-group in one process', () => {
  it('are two modules (the test would prove nothing otherwise)', () => {
    expect(other.iommuGroupPlugin).not.toBe(ours.iommuGroupPlugin);
  });

  it('vfio-pci probes a device whose group another copy made, and /dev/vfio/N appears', () => {
    const k = createKernel({ profile: 'rfc-2017', plugins: [other.iommuGroupPlugin(), vfioPlugin()] });
    handToVfio(k);
    expect(k.oops).toBeNull();
  });

  it('either copy reads the groups and the state of a kernel the other set up', () => {
    const k = createKernel({ plugins: [other.iommuGroupPlugin()] });
    k.addDevice({ bus: 'pci', address: NIC, vendor: 0x8086, device: 0x15b8 });
    expect(ours.usesIommuGroups(k)).toBe(true);
    const g = ours.deviceIommuGroup(k.device(NIC)!);
    expect(g?.id).toBe(0);
    expect(other.findIommuGroup(k, 0)).toBe(g);
    expect(ours.findIommuGroup(k, 0)).toBe(g);
    expect(ours.iommuGroups(k).map((x) => x.id)).toEqual([0]);
  });

  it('explainGroup of @sim/vfio works on a kernel whose groups and vfio another copy set up', () => {
    const k = createKernel({ profile: 'rfc-2017', plugins: [other.iommuGroupPlugin(), otherVfio.vfioPlugin()] });
    handToVfio(k);
    const why = explainGroup(k, 0);
    expect(why.viable).toBe(true);
    expect(otherVfio.explainGroup(k, 0).text).toBe(why.text);
  });

  it('after teardown no copy sees the state', () => {
    const k = createKernel({ plugins: [other.iommuGroupPlugin()] });
    k.close();
    expect(ours.usesIommuGroups(k)).toBe(false);
    expect(() => ours.iommuGroups(k)).toThrow(SimError);
  });

  it('a copy that keeps another layout of the state is refused by name, not misread', () => {
    const k = createKernel({ plugins: [ours.iommuGroupPlugin()] });
    const key = Symbol.for('@sim/iommu-group/state');
    const slot = (k as unknown as Record<symbol, { layout: number; state: unknown }>)[key]!;
    Object.defineProperty(k, key, { value: { ...slot, layout: 99 }, configurable: true });
    expect(() => ours.iommuGroups(k)).toThrow(/another version of @sim\/iommu-group \(state layout 99/);
  });
});
