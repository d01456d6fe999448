import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createKernel } from '@sim/core';
import * as ours from '@sim/iommu-group';
import { tceIommuPlugin, tceTable } from '@sim/tce-iommu';
import { afterAll, beforeAll, expect, it } from 'vitest';

// tce-iommu with the IOMMU groups of another copy of @sim/iommu-group (a copy of its sources is another module to
// the loader, as a second install is): PEs' groups are made and found through whichever copy set the kernel up.

let dir = '';
let other: typeof ours;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sim-copy-iommu-group-'));
  cpSync(new URL('../../iommu-group/src/', import.meta.url), dir, {
    recursive: true,
    filter: (src) => !src.endsWith('.test.ts'),
  });
  other = (await import(pathToFileURL(join(dir, 'index.ts')).href)) as typeof ours;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('PCI functions of one PE join one group made for a kernel another copy of @sim/iommu-group set up', () => {
  expect(other.iommuGroupPlugin).not.toBe(ours.iommuGroupPlugin);
  const kernel = createKernel({
    machine: { compatible: ['ibm,powernv'], model: 'PowerNV' },
    plugins: [other.iommuGroupPlugin({ buses: [] }), tceIommuPlugin()],
  });
  const nic = (address: string) => ({
    bus: 'pci' as const,
    address,
    vendor: 0x15b3,
    device: 0x1013,
    props: { tce: tceTable({ pe: 1 }) },
  });
  expect(kernel.addDevice(nic('0000:01:00.0'))).toBe(0);
  expect(kernel.addDevice(nic('0000:01:00.1'))).toBe(0);
  const group = other.deviceIommuGroup(kernel.device('0000:01:00.0')!);
  expect(group?.name).toBe('domain0-pe1');
  expect(ours.deviceIommuGroup(kernel.device('0000:01:00.1')!)).toBe(group);
  expect(group?.devices().map((d) => d.name)).toEqual(['0000:01:00.0', '0000:01:00.1']);
});
