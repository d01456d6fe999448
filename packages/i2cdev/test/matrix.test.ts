import {
  BUS_NOTIFY_ADD_DEVICE,
  BUS_NOTIFY_DEL_DEVICE,
  BUS_NOTIFY_EVENTS,
  busNotifyName,
  createKernel,
  type Device,
  ENODEV,
} from '@sim/core';
import { I2CDEV_NOTIFIER_NAME, i2cdevPlugin } from '@sim/i2cdev';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

type Data = 'null' | 'adapter' | 'adapter-past-minors' | 'client';
interface Cell {
  ret: number | 'oops';
  /** /dev afterwards. */
  nodes: string[];
}

const MINORS = 4;
const DATA: readonly Data[] = ['null', 'adapter', 'adapter-past-minors', 'client'];
const ONE = ['/dev/i2c-1'];

/** i2cdev_notifier_call(): row = event, column = data. Written from drivers/i2c/i2c-dev.c (v4.12). */
function expected(event: number, data: Data): Cell {
  if (event === BUS_NOTIFY_ADD_DEVICE) {
    return {
      null: { ret: 'oops' as const, nodes: [] },
      adapter: { ret: 0, nodes: ONE },
      'adapter-past-minors': { ret: -ENODEV, nodes: [] },
      client: { ret: 0, nodes: ONE },
    }[data];
  }
  if (event === BUS_NOTIFY_DEL_DEVICE) {
    return {
      null: { ret: 'oops' as const, nodes: [] },
      adapter: { ret: 0, nodes: [] },
      'adapter-past-minors': { ret: 0, nodes: [] },
      client: { ret: 0, nodes: ONE },
    }[data];
  }
  return { ret: 0, nodes: data === 'null' || data === 'adapter-past-minors' ? [] : ONE };
}

/**
 * ADD_DEVICE with a device is the real one, from device_add() (read from the trace); every other cell calls the
 * block directly with the live device (or NULL).
 */
function run(event: number, data: Data): Cell {
  const kernel = createKernel({ plugins: [i2cdevPlugin({ minors: MINORS })] });
  const rec = kernel.trace.record();
  let dev: Device | null = null;
  if (data !== 'null') {
    kernel.addDevice({ bus: 'i2c', kind: 'adapter', name: 'adap', nr: data === 'adapter-past-minors' ? MINORS : 1 });
    if (data === 'client') kernel.addDevice({ bus: 'i2c', kind: 'client', name: 'lm75', adapter: 1, addr: 0x48 });
    dev = kernel.devices().at(-1)!;
  }
  rec.stop();
  let ret: number | 'oops';
  if (event === BUS_NOTIFY_ADD_DEVICE && dev !== null) {
    const answers = rec.events.flatMap((e) =>
      e.type === 'chain.block' && e.block === I2CDEV_NOTIFIER_NAME ? [e.ret] : [],
    );
    ret = answers.at(-1)!;
  } else {
    const nb = kernel
      .bus('i2c')
      .notifier.blocks()
      .find((b) => b.name === I2CDEV_NOTIFIER_NAME)!;
    try {
      ret = nb.notifierCall(event, dev, nb);
    } catch {
      expect(kernel.oops).not.toBeNull();
      ret = 'oops';
    }
  }
  return { ret, nodes: kernel.dev.list() };
}

describe('i2cdev_notifier_call x BUS_NOTIFY_* x data', () => {
  const cells = BUS_NOTIFY_EVENTS.flatMap((event) => DATA.map((data) => [busNotifyName(event)!, event, data] as const));
  it.each(cells)('%s, %s', (_name, event, data) => {
    expect(run(event, data)).toEqual(expected(event, data));
  });

  it('any other action value is 0 with nothing changed, NULL data included', () => {
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
