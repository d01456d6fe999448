import {
  BUS_NOTIFY_ADD_DEVICE,
  BUS_NOTIFY_EVENTS,
  createKernel,
  type Device,
  EEXIST,
  KERN_ERR,
  type Kernel,
  NOTIFY_BAD,
  NOTIFY_DONE,
  NOTIFY_OK,
  SimError,
} from '@sim/core';
import {
  KEYSTONE_ERROR_CODES,
  KEYSTONE_HIGH_PHYS_START,
  KEYSTONE_LOW_PHYS_START,
  KEYSTONE_MATCH,
  KEYSTONE_NOTIFIER_NAME,
  keystonePlugin,
  pfnDown,
} from '@sim/keystone';
import { describe, expect, it } from 'vitest';

const K2HK = {
  compatible: ['ti,k2hk-evm', 'ti,k2hk', 'ti,keystone'],
  model: 'Texas Instruments Keystone 2 Kepler/Hawking EVM',
};

function keystone(options?: Parameters<typeof keystonePlugin>[0], compatible = K2HK.compatible): Kernel {
  return createKernel({ machine: { ...K2HK, compatible }, plugins: [keystonePlugin(options)] });
}

function blockNames(kernel: Kernel): string[] {
  return kernel
    .bus('platform')
    .notifier.blocks()
    .map((b) => b.name);
}

function errLines(kernel: Kernel): string[] {
  return kernel.dmesg.records({ level: KERN_ERR }).map((r) => r.text);
}

describe('keystonePlugin: registration (keystone_init)', () => {
  it.each(KEYSTONE_MATCH)('registers on a machine compatible with %s', (compat) => {
    expect(blockNames(keystone({}, [compat]))).toEqual([KEYSTONE_NOTIFIER_NAME]);
  });

  it('does not register on a machine that is not a Keystone', () => {
    const plugin = keystonePlugin();
    const kernel = createKernel({ machine: { compatible: ['ti,am335x-evm', 'ti,am33xx'] }, plugins: [plugin] });
    expect(blockNames(kernel)).toEqual([]);
    expect(plugin.state(kernel)).toMatchObject({ registered: false, dmaPfnOffset: 0 });
    expect(plugin.state(kernel)?.reason).toMatch(/not a Keystone/);
  });

  it('does not register on the default (x86) machine', () => {
    expect(blockNames(createKernel({ plugins: [keystonePlugin()] }))).toEqual([]);
  });

  it('does not register when the kernel runs from the low alias (PHYS_OFFSET < KEYSTONE_HIGH_PHYS_START)', () => {
    const plugin = keystonePlugin({ physOffset: KEYSTONE_LOW_PHYS_START });
    const kernel = createKernel({ machine: K2HK, plugins: [plugin] });
    expect(blockNames(kernel)).toEqual([]);
    expect(plugin.state(kernel)?.reason).toMatch(/below KEYSTONE_HIGH_PHYS_START/);
    expect(blockNames(keystone({ physOffset: KEYSTONE_HIGH_PHYS_START - 4096 }))).toEqual([]);
  });

  it('registers from PHYS_OFFSET == KEYSTONE_HIGH_PHYS_START up (the default is the high alias)', () => {
    expect(blockNames(keystone({ physOffset: KEYSTONE_HIGH_PHYS_START }))).toEqual([KEYSTONE_NOTIFIER_NAME]);
    expect(blockNames(keystone({ physOffset: KEYSTONE_HIGH_PHYS_START + 0x1000_0000 }))).toEqual([
      KEYSTONE_NOTIFIER_NAME,
    ]);
    expect(blockNames(keystone())).toEqual([KEYSTONE_NOTIFIER_NAME]);
  });

  it('stores keystone_dma_pfn_offset = PFN_DOWN(HIGH - LOW) = 0x780000 with 4 KiB pages', () => {
    const plugin = keystonePlugin();
    const kernel = createKernel({ machine: K2HK, plugins: [plugin] });
    expect(pfnDown(KEYSTONE_HIGH_PHYS_START - KEYSTONE_LOW_PHYS_START)).toBe(0x780000);
    expect(plugin.state(kernel)).toEqual({ registered: true, dmaPfnOffset: 0x780000, reason: null });
  });

  it('registers at the default priority 0, in use() order with other platform notifiers', () => {
    const kernel = createKernel({ machine: K2HK });
    kernel.bus('platform').registerNotifier({ name: 'earlier', notifierCall: () => NOTIFY_DONE });
    kernel.use(keystonePlugin());
    expect(blockNames(kernel)).toEqual(['earlier', KEYSTONE_NOTIFIER_NAME]);
  });

  it('does not replay devices added before it (no walk of existing platform devices)', () => {
    const kernel = createKernel({ machine: K2HK });
    expect(kernel.addDevice({ bus: 'platform', name: 'early' })).toBe(0);
    kernel.use(keystonePlugin());
    expect(kernel.device('early')?.dmaPfnOffset).toBe(0);
    expect(errLines(kernel)).toEqual([]);
  });

  it('a plugin object can be used on several kernels, with state kept per kernel', () => {
    const plugin = keystonePlugin();
    const a = createKernel({ machine: K2HK, plugins: [plugin] });
    const b = createKernel({ plugins: [plugin] });
    expect(plugin.state(a)?.registered).toBe(true);
    expect(plugin.state(b)?.registered).toBe(false);
    expect(plugin.state(createKernel())).toBeUndefined();
  });

  it('teardown (kernel.close()) takes the block off the chain', () => {
    const kernel = keystone();
    const chain = kernel.bus('platform').notifier;
    kernel.close();
    expect(chain.blocks()).toEqual([]);
  });
});

describe('keystone_platform_notifier: events and data', () => {
  it('ADD_DEVICE of a device without an of_node: dma_pfn_offset set, dev_err line, NOTIFY_OK', () => {
    const kernel = keystone();
    const answers: number[] = [];
    kernel.bus('platform').registerNotifier({ name: 'spy', notifierCall: () => NOTIFY_DONE });
    const rec = kernel.trace.record();
    expect(kernel.addDevice({ bus: 'platform', name: 'keystone-rproc', id: 0 })).toBe(0);
    rec.stop();
    for (const e of rec.events) if (e.type === 'chain.block' && e.block === KEYSTONE_NOTIFIER_NAME) answers.push(e.ret);
    expect(answers).toEqual([NOTIFY_OK]);
    expect(kernel.device('keystone-rproc.0')?.dmaPfnOffset).toBe(0x780000);
    expect(errLines(kernel)).toEqual(['platform keystone-rproc.0: set dma_pfn_offset00780000']);
    // The chain went on to the next block.
    expect(rec.events.some((e) => e.type === 'chain.block' && e.block === 'spy')).toBe(true);
  });

  it('ADD_DEVICE of a DT device (of_node set): nothing changed, no message, NOTIFY_OK', () => {
    const kernel = keystone();
    const rec = kernel.trace.record();
    kernel.addDevice({ bus: 'platform', name: '2530c00.serial', ofNode: { compatible: ['ti,da830-uart'] } });
    rec.stop();
    expect(kernel.device('2530c00.serial')?.dmaPfnOffset).toBe(0);
    expect(errLines(kernel)).toEqual([]);
    expect(rec.events.find((e) => e.type === 'chain.block' && e.block === KEYSTONE_NOTIFIER_NAME)).toMatchObject({
      ret: NOTIFY_OK,
    });
  });

  it('ADD_DEVICE overwrites whatever dma_pfn_offset the device had', () => {
    const kernel = keystone();
    kernel.bus('platform').registerNotifier({
      name: 'first',
      priority: 1,
      notifierCall: (_a, dev) => {
        if (dev !== null) dev.dmaPfnOffset = 0x1234;
        return NOTIFY_DONE;
      },
    });
    kernel.addDevice({ bus: 'platform', name: 'mfd-child' });
    expect(kernel.device('mfd-child')?.dmaPfnOffset).toBe(0x780000);
  });

  it('ADD_DEVICE with NULL data: NOTIFY_BAD, no message, later blocks skipped', () => {
    const kernel = keystone();
    let later = 0;
    kernel.bus('platform').registerNotifier({
      name: 'later',
      notifierCall: () => {
        later++;
        return NOTIFY_OK;
      },
    });
    const rec = kernel.trace.record();
    const ret = kernel.callChain(kernel.bus('platform').notifier, BUS_NOTIFY_ADD_DEVICE, null, 'test');
    rec.stop();
    expect(ret).toBe(NOTIFY_BAD);
    expect(later).toBe(0);
    expect(kernel.dmesg.lines()).toEqual([]);
    expect(rec.events.find((e) => e.type === 'chain.return')).toMatchObject({
      stoppedBy: KEYSTONE_NOTIFIER_NAME,
      skipped: ['later'],
    });
  });

  it.each(BUS_NOTIFY_EVENTS.filter((e) => e !== BUS_NOTIFY_ADD_DEVICE))(
    'event %i: NOTIFY_DONE for a device and for NULL data, nothing changed',
    (event) => {
      const kernel = keystone();
      kernel.addDevice({ bus: 'platform', name: 'dev' });
      const dev = kernel.device('dev') as Device;
      dev.dmaPfnOffset = 7;
      const chain = kernel.bus('platform').notifier;
      expect(kernel.callChain(chain, event, dev, 'test')).toBe(NOTIFY_DONE);
      expect(kernel.callChain(chain, event, null, 'test')).toBe(NOTIFY_DONE);
      expect(dev.dmaPfnOffset).toBe(7);
      expect(errLines(kernel)).toEqual(['platform dev: set dma_pfn_offset00780000']);
    },
  );

  it('a device the kernel refuses (name taken): -EEXIST from device_add(), the notifier never called, nothing changed', () => {
    const kernel = keystone();
    kernel.addDevice({ bus: 'platform', name: 'dup' });
    const first = kernel.device('dup')!;
    first.dmaPfnOffset = 5;
    const rec = kernel.trace.record();
    expect(kernel.addDevice({ bus: 'platform', name: 'dup' })).toBe(-EEXIST);
    rec.stop();
    expect(rec.events.some((e) => e.type === 'chain.call')).toBe(false);
    expect(kernel.device('dup')).toBe(first);
    expect(first.dmaPfnOffset).toBe(5);
    expect(errLines(kernel).filter((l) => l.includes('dma_pfn_offset'))).toEqual([
      'platform dup: set dma_pfn_offset00780000',
    ]);
  });

  it('device_add() ignores the answer: the device is added and probed whatever the notifier said', () => {
    const kernel = keystone();
    kernel.registerDriver({ name: 'davinci_mdio', bus: 'platform', probe: 'ok' });
    expect(kernel.addDevice({ bus: 'platform', name: 'davinci_mdio' })).toBe(0);
    expect(kernel.device('davinci_mdio')?.isBound).toBe(true);
  });
});

describe('keystonePlugin: options', () => {
  it.each([
    [null, /options object/],
    ['0x800000000', /options object/],
    [{ physOffset: '0x800000000' }, /physOffset.*"0x800000000"/],
    [{ physOffset: -1 }, /physOffset.*-1/],
    [{ physOffset: 1.5 }, /physOffset.*1\.5/],
    [{ physOffset: 2 ** 40 }, /physOffset/],
    [{ phys_offset: 0x800000000 }, /unknown option "phys_offset"; known options: physOffset/],
  ])('%j -> SimError SIM_ERR_KEYSTONE_BAD_OPTION', (options, message) => {
    let thrown: unknown;
    try {
      keystonePlugin(options as never);
    } catch (e) {
      thrown = e;
    }
    expect(SimError.isInstance(thrown)).toBe(true);
    expect((thrown as SimError).code).toBe('SIM_ERR_KEYSTONE_BAD_OPTION');
    expect((thrown as SimError).message).toMatch(message);
    expect(Object.keys(KEYSTONE_ERROR_CODES)).toContain((thrown as SimError).code);
  });

  it('the physOffset message says how to fix it', () => {
    expect(() => keystonePlugin({ physOffset: -1 })).toThrow(/KEYSTONE_HIGH_PHYS_START \(0x800000000\)/);
  });
});

describe('keystonePlugin: exercise()', () => {
  it('sends ADD_DEVICE with NULL data on the platform chain: NOTIFY_BAD', () => {
    const plugin = keystonePlugin();
    const kernel = createKernel({ machine: K2HK, plugins: [plugin] });
    const rec = kernel.trace.record();
    plugin.exercise?.(kernel);
    rec.stop();
    const call = rec.events.find((e) => e.type === 'chain.call');
    const ret = rec.events.find((e) => e.type === 'chain.return');
    expect(call).toMatchObject({
      chain: 'platform',
      action: BUS_NOTIFY_ADD_DEVICE,
      device: null,
      caller: 'keystone exercise',
    });
    expect(ret).toMatchObject({ ret: NOTIFY_BAD, stoppedBy: KEYSTONE_NOTIFIER_NAME });
  });

  it('does nothing where the notifier is not registered', () => {
    const plugin = keystonePlugin();
    const kernel = createKernel({ plugins: [plugin] });
    const rec = kernel.trace.record();
    plugin.exercise?.(kernel);
    rec.stop();
    expect(rec.events).toEqual([]);
  });
});
