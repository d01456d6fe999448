import { BUS_NOTIFY_V6_12, createKernel, type Device, KERN_ERR, NOTIFY_BAD, NOTIFY_DONE, NOTIFY_OK } from '@sim/core';
import { dmaRangeMap, KEYSTONE_NOTIFIER_NAME, keystonePlugin } from '@sim/keystone';
import { describe, expect, it } from 'vitest';

// keystone_platform_notifier() of 6.12 (arch/arm/mach-keystone/keystone.c): the same answers as v4.12, but the
// offset is a DMA range map set by dma_direct_set_offset() (kernel/dma/direct.c), and the line says so.

type Data = 'null' | 'no-of-node' | 'of-node';
const MAP = { cpuStart: 0x800000000, dmaStart: 0x80000000, size: 0x400000000 };

function run(event: number, data: Data, times = 1) {
  const kernel = createKernel({ profile: 'v6.12', machine: { compatible: ['ti,keystone'] } });
  let dev: Device | null = null;
  if (data !== 'null') {
    kernel.addDevice({
      bus: 'platform',
      name: 'pdev',
      ofNode: data === 'of-node' ? { compatible: ['ti,keystone-dsp-gpio'] } : null,
    });
    dev = kernel.device('pdev')!;
  }
  kernel.use(keystonePlugin());
  const nb = kernel
    .bus('platform')
    .notifier.blocks()
    .find((b) => b.name === KEYSTONE_NOTIFIER_NAME)!;
  const rets: number[] = [];
  for (let i = 0; i < times; i++) rets.push(nb.notifierCall(event, dev, nb));
  return {
    rets,
    map: dev === null ? null : dmaRangeMap(dev),
    pfn: dev?.dmaPfnOffset ?? null,
    log: kernel.dmesg.records({ level: KERN_ERR }).map((r) => r.text),
  };
}

describe('keystone_platform_notifier on 6.12', () => {
  it('ADD_DEVICE (0 on 6.12): NOTIFY_BAD for NULL, a DMA range map and its line for a device without a DT node', () => {
    const add = BUS_NOTIFY_V6_12.BUS_NOTIFY_ADD_DEVICE;
    expect(run(add, 'null')).toEqual({ rets: [NOTIFY_BAD], map: null, pfn: null, log: [] });
    expect(run(add, 'no-of-node')).toEqual({
      rets: [NOTIFY_OK],
      map: MAP,
      pfn: 0,
      log: ['platform pdev: set dma_offset780000000'],
    });
    expect(run(add, 'of-node')).toEqual({ rets: [NOTIFY_OK], map: null, pfn: 0, log: [] });
  });

  it('a second ADD_DEVICE for the same device: dma_direct_set_offset() refuses (-EINVAL), the line says failed', () => {
    expect(run(BUS_NOTIFY_V6_12.BUS_NOTIFY_ADD_DEVICE, 'no-of-node', 2)).toEqual({
      rets: [NOTIFY_OK, NOTIFY_OK],
      map: MAP,
      pfn: 0,
      log: [
        'platform pdev: set dma_offset780000000',
        'platform pdev: attempt to add DMA range to existing map',
        'platform pdev: set dma_offset780000000 failed',
      ],
    });
  });

  it('every other event (v4.12 ADD_DEVICE value 1 included, which is DEL_DEVICE on 6.12): NOTIFY_DONE, nothing', () => {
    for (const event of BUS_NOTIFY_V6_12.events.filter((e) => e !== BUS_NOTIFY_V6_12.BUS_NOTIFY_ADD_DEVICE)) {
      for (const data of ['null', 'no-of-node', 'of-node'] as const) {
        expect(run(event, data)).toEqual({ rets: [NOTIFY_DONE], map: null, pfn: data === 'null' ? null : 0, log: [] });
      }
    }
  });

  it('through device_add(): the device tree devices keep nothing, a code-created one gets its map', () => {
    const kernel = createKernel({
      profile: 'v6.12',
      machine: { compatible: ['ti,k2hk', 'ti,keystone'] },
      plugins: [keystonePlugin()],
    });
    kernel.addDevice({ bus: 'platform', name: 'keystone-rproc', id: 0 });
    expect(dmaRangeMap(kernel.device('keystone-rproc.0')!)).toEqual(MAP);
    expect(keystonePlugin().state).toBeTypeOf('function');
  });
});
