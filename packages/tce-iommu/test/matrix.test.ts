import {
  BUS_NOTIFY_ADD_DEVICE,
  BUS_NOTIFY_DEL_DEVICE,
  BUS_NOTIFY_EVENTS,
  busNotifyName,
  createKernel,
  type Device,
  EBUSY,
  EINVAL,
} from '@sim/core';
import { iommuGroupPlugin } from '@sim/iommu-group';
import { TCE_IOMMU_NOTIFIER_NAME, tceIommuPlugin } from '@sim/tce-iommu';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

type Data = 'null' | 'no-table' | 'table' | 'table-64k' | 'grouped-by-iommu-core';
interface Cell {
  ret: number | 'oops';
  /** The device's group afterwards: its name, `#<id>` for an unnamed one, or null. */
  group: string | null;
}

const DATA: readonly Data[] = ['null', 'no-table', 'table', 'table-64k', 'grouped-by-iommu-core'];

/** The device's group right after device_add(). */
const ADDED: Record<Data, string | null> = {
  null: null,
  'no-table': null,
  table: 'domain0-pe1',
  'table-64k': null,
  'grouped-by-iommu-core': '#0',
};

/** tce_iommu_bus_notifier(): row = event, column = data. Written from arch/powerpc/kernel/iommu.c (v4.12). */
function expected(event: number, data: Data): Cell {
  if (event === BUS_NOTIFY_ADD_DEVICE) {
    return {
      null: { ret: 'oops' as const, group: null },
      'no-table': { ret: 0, group: null },
      table: { ret: 0, group: 'domain0-pe1' },
      'table-64k': { ret: -EINVAL, group: null },
      'grouped-by-iommu-core': { ret: -EBUSY, group: '#0' },
    }[data];
  }
  if (event === BUS_NOTIFY_DEL_DEVICE) {
    // Any grouped device leaves its group, whoever grouped it.
    return data === 'null' ? { ret: 'oops', group: null } : { ret: 0, group: null };
  }
  return { ret: 0, group: ADDED[data] };
}

function groupOf(dev: Device | null): string | null {
  const g = dev?.iommuGroup as { id: number; name?: string | null } | null | undefined;
  if (g === null || g === undefined) return null;
  return g.name ?? `#${g.id}`;
}

/** ADD_DEVICE with a device is device_add()'s (from the trace); the other cells call the block directly. */
function run(event: number, data: Data): Cell {
  const iommu = iommuGroupPlugin(data === 'grouped-by-iommu-core' ? {} : { buses: [] });
  const kernel = createKernel({ machine: { compatible: ['ibm,powernv'] }, plugins: [iommu, tceIommuPlugin()] });
  const rec = kernel.trace.record();
  let dev: Device | null = null;
  if (data !== 'null') {
    const tce = { 'no-table': undefined, table: { pe: 1 }, 'table-64k': { pe: 1, pageShift: 16 } }[
      data as 'no-table' | 'table' | 'table-64k'
    ];
    kernel.addDevice({
      bus: 'pci',
      address: '0000:01:00.0',
      vendor: 0x1014,
      device: 0x03b9,
      ...(tce === undefined ? {} : { props: { tce } }),
    });
    dev = kernel.device('0000:01:00.0')!;
    expect(groupOf(dev)).toBe(ADDED[data]);
  }
  rec.stop();
  let ret: number | 'oops';
  if (event === BUS_NOTIFY_ADD_DEVICE && dev !== null) {
    ret = rec.events.flatMap((e) =>
      e.type === 'chain.block' && e.block === TCE_IOMMU_NOTIFIER_NAME ? [e.ret] : [],
    )[0]!;
  } else {
    const nb = kernel
      .bus('pci')
      .notifier.blocks()
      .find((b) => b.name === TCE_IOMMU_NOTIFIER_NAME)!;
    try {
      ret = nb.notifierCall(event, dev, nb);
    } catch {
      expect(kernel.oops).not.toBeNull();
      ret = 'oops';
    }
  }
  return { ret, group: groupOf(dev) };
}

describe('tce_iommu_bus_notifier x BUS_NOTIFY_* x data', () => {
  const cells = BUS_NOTIFY_EVENTS.flatMap((event) => DATA.map((data) => [busNotifyName(event)!, event, data] as const));
  it.each(cells)('%s, %s', (_name, event, data) => {
    expect(run(event, data)).toEqual(expected(event, data));
  });

  it('any other action value is 0 with nothing changed', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffffffff }).filter((a) => a !== BUS_NOTIFY_ADD_DEVICE && a !== BUS_NOTIFY_DEL_DEVICE),
        fc.constantFrom(...DATA),
        (action, data) => {
          expect(run(action, data)).toEqual(expected(action, data));
        },
      ),
      { numRuns: 100 },
    );
  });
});
