import {
  BUS_NOTIFY_ADD_DEVICE,
  BUS_NOTIFY_BIND_DRIVER,
  BUS_NOTIFY_BOUND_DRIVER,
  BUS_NOTIFY_DEL_DEVICE,
  BUS_NOTIFY_DRIVER_NOT_BOUND,
  BUS_NOTIFY_EVENTS,
  BUS_NOTIFY_REMOVED_DEVICE,
  BUS_NOTIFY_UNBIND_DRIVER,
  BUS_NOTIFY_UNBOUND_DRIVER,
  busNotifyName,
  createKernel,
  type Device,
  KERN_ERR,
  NOTIFY_BAD,
  NOTIFY_DONE,
  NOTIFY_OK,
} from '@sim/core';
import { KEYSTONE_NOTIFIER_NAME, keystonePlugin } from '@sim/keystone';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

type Data = 'null' | 'no-of-node' | 'of-node';
interface Cell {
  ret: number;
  /** dma_pfn_offset afterwards (the device starts at 0x42). */
  offset: number | null;
  /** KERN_ERR lines printed. */
  log: string[];
}

const SET = ['platform pdev: set dma_pfn_offset00780000'];
const NONE = { ret: NOTIFY_DONE, log: [] };

/** keystone_platform_notifier(): row = event, column = data. Written from arch/arm/mach-keystone/keystone.c. */
const MATRIX: Record<number, Record<Data, Cell>> = {
  [BUS_NOTIFY_ADD_DEVICE]: {
    null: { ret: NOTIFY_BAD, offset: null, log: [] },
    'no-of-node': { ret: NOTIFY_OK, offset: 0x780000, log: SET },
    'of-node': { ret: NOTIFY_OK, offset: 0x42, log: [] },
  },
  ...Object.fromEntries(
    [
      BUS_NOTIFY_DEL_DEVICE,
      BUS_NOTIFY_REMOVED_DEVICE,
      BUS_NOTIFY_BIND_DRIVER,
      BUS_NOTIFY_BOUND_DRIVER,
      BUS_NOTIFY_UNBIND_DRIVER,
      BUS_NOTIFY_UNBOUND_DRIVER,
      BUS_NOTIFY_DRIVER_NOT_BOUND,
    ].map((event) => [
      event,
      {
        null: { ...NONE, offset: null },
        'no-of-node': { ...NONE, offset: 0x42 },
        'of-node': { ...NONE, offset: 0x42 },
      },
    ]),
  ),
};

function run(event: number, data: Data): Cell {
  const kernel = createKernel({ machine: { compatible: ['ti,keystone'] } });
  let dev: Device | null = null;
  if (data !== 'null') {
    kernel.addDevice({
      bus: 'platform',
      name: 'pdev',
      ofNode: data === 'of-node' ? { compatible: ['ti,keystone-dsp-gpio'] } : null,
    });
    dev = kernel.device('pdev')!;
    dev.dmaPfnOffset = 0x42;
  }
  kernel.use(keystonePlugin());
  const nb = kernel
    .bus('platform')
    .notifier.blocks()
    .find((b) => b.name === KEYSTONE_NOTIFIER_NAME)!;
  const ret = nb.notifierCall(event, dev, nb);
  return {
    ret,
    offset: dev === null ? null : dev.dmaPfnOffset,
    log: kernel.dmesg.records({ level: KERN_ERR }).map((r) => r.text),
  };
}

describe('keystone_platform_notifier x BUS_NOTIFY_* x data', () => {
  const cells = BUS_NOTIFY_EVENTS.flatMap((event) =>
    (['null', 'no-of-node', 'of-node'] as const).map((data) => [busNotifyName(event)!, event, data] as const),
  );
  it.each(cells)('%s, %s data', (_name, event, data) => {
    expect(run(event, data)).toEqual(MATRIX[event]![data]);
  });

  it('covers every event', () => {
    expect(Object.keys(MATRIX).map(Number).sort()).toEqual([...BUS_NOTIFY_EVENTS]);
  });

  it('any action value: NOTIFY_BAD only for (ADD_DEVICE, NULL), and the offset changes only on ADD_DEVICE', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffffffff }),
        fc.constantFrom<Data>('null', 'no-of-node', 'of-node'),
        (action, data) => {
          const cell = run(action, data);
          if (action === BUS_NOTIFY_ADD_DEVICE) expect(cell).toEqual(MATRIX[action]![data]);
          else expect(cell).toEqual({ ret: NOTIFY_DONE, offset: data === 'null' ? null : 0x42, log: [] });
        },
      ),
      { numRuns: 200 },
    );
  });
});
