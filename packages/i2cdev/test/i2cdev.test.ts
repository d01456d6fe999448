import {
  BUS_NOTIFY_ADD_DEVICE,
  BUS_NOTIFY_DEL_DEVICE,
  createKernel,
  EBUSY,
  EEXIST,
  EINVAL,
  ENODEV,
  ENOENT,
  ENOTTY,
  KERN_DEBUG,
  KERN_ERR,
  KERN_INFO,
  type Kernel,
  NOTIFY_OK,
  SimError,
} from '@sim/core';
import {
  I2C_MINORS,
  I2C_MINORS_V4_9,
  I2CDEV_ERROR_CODES,
  I2CDEV_NOTIFIER_NAME,
  i2cdevPlugin,
  MINORMASK,
} from '@sim/i2cdev';
import { describe, expect, it } from 'vitest';

function lines(kernel: Kernel, level: number): string[] {
  return kernel.dmesg.records().flatMap((r) => (r.level === level ? [r.text] : []));
}

function i2cBlocks(kernel: Kernel): string[] {
  return kernel
    .bus('i2c')
    .notifier.blocks()
    .map((b) => b.name);
}

function adapter(kernel: Kernel, name: string, nr?: number): number | null {
  return kernel.addDevice(
    nr === undefined ? { bus: 'i2c', kind: 'adapter', name } : { bus: 'i2c', kind: 'adapter', name, nr },
  );
}

/** Everything i2c-dev shows of one kernel: nodes, class entries, the plugin's list. */
function snapshot(kernel: Kernel, plugin: ReturnType<typeof i2cdevPlugin>) {
  return {
    dev: kernel.dev.list(),
    cls: kernel.sysfs.list('/sys/class/i2c-dev'),
    entries: plugin.state(kernel)?.entries.map((e) => [e.nr, e.adapterName]),
  };
}

describe('i2c_dev_init (use())', () => {
  it('prints the info line, creates the class, registers the notifier', () => {
    const plugin = i2cdevPlugin();
    const kernel = createKernel({ plugins: [plugin] });
    expect(lines(kernel, KERN_INFO)).toEqual(['i2c /dev entries driver']);
    expect(kernel.sysfs.stat('/sys/class/i2c-dev')).toEqual({ type: 'dir', mode: 0o755 });
    expect(i2cBlocks(kernel)).toEqual([I2CDEV_NOTIFIER_NAME]);
    expect(plugin.state(kernel)).toEqual({ initialised: true, minors: I2C_MINORS, entries: [] });
  });

  it('replays the adapters that already exist, in bus order, ignoring clients', () => {
    const kernel = createKernel();
    adapter(kernel, 'SMBus I801 adapter at f040');
    kernel.addDevice({ bus: 'i2c', kind: 'client', name: 'eeprom', adapter: 0, addr: 0x50 });
    adapter(kernel, 'i915 gmbus dpb', 3);
    const plugin = i2cdevPlugin();
    kernel.use(plugin);
    expect(kernel.dev.list()).toEqual(['/dev/i2c-0', '/dev/i2c-3']);
    expect(snapshot(kernel, plugin).entries).toEqual([
      [0, 'SMBus I801 adapter at f040'],
      [3, 'i915 gmbus dpb'],
    ]);
  });

  it('the replay stops at the first adapter whose attach fails (bus_for_each_dev), and init still succeeds', () => {
    const kernel = createKernel();
    adapter(kernel, 'first', 1);
    adapter(kernel, 'too high', 8);
    adapter(kernel, 'never reached', 2);
    const plugin = i2cdevPlugin({ minors: 8 });
    kernel.use(plugin);
    expect(kernel.dev.list()).toEqual(['/dev/i2c-1']);
    expect(lines(kernel, KERN_ERR)).toEqual(['i2c-dev: Out of device minors (8)']);
    expect(plugin.state(kernel)?.initialised).toBe(true);
    // Adapters added afterwards go through the notifier as usual.
    adapter(kernel, 'later', 3);
    expect(kernel.dev.list()).toEqual(['/dev/i2c-1', '/dev/i2c-3']);
  });

  it('fails ("Driver Initialisation failed") when /sys/class/i2c-dev is taken, registering nothing', () => {
    const kernel = createKernel();
    expect(kernel.sysfs.createDir('/sys/class/i2c-dev')).toBe(0);
    const plugin = i2cdevPlugin();
    kernel.use(plugin);
    expect(lines(kernel, KERN_ERR)).toEqual(['drivers/i2c/i2c-dev.c: Driver Initialisation failed']);
    expect(i2cBlocks(kernel)).toEqual([]);
    expect(plugin.state(kernel)?.initialised).toBe(false);
    adapter(kernel, 'no node');
    expect(kernel.dev.list()).toEqual([]);
    kernel.close(); // nothing to undo; the directory someone else made stays
    expect(kernel.sysfs.exists('/sys/class/i2c-dev')).toBe(true);
  });

  it('fails when the notifier cannot be registered, and removes the class again', () => {
    const kernel = createKernel();
    // A callback that registers i2c-dev from inside a call of the i2c chain: a recursive rwsem, refused.
    kernel.bus('i2c').registerNotifier({
      name: 'loader',
      notifierCall: () => {
        kernel.use(i2cdevPlugin());
        return 0;
      },
    });
    adapter(kernel, 'trigger');
    expect(lines(kernel, KERN_ERR)).toEqual(['drivers/i2c/i2c-dev.c: Driver Initialisation failed']);
    expect(kernel.sysfs.exists('/sys/class/i2c-dev')).toBe(false);
    expect(i2cBlocks(kernel)).toEqual(['loader']);
  });
});

describe('i2cdev_notifier_call: BUS_NOTIFY_ADD_DEVICE', () => {
  it('gives an adapter /dev/i2c-N and the class device under the adapter, answering 0', () => {
    const plugin = i2cdevPlugin();
    const kernel = createKernel({ plugins: [plugin] });
    const rec = kernel.trace.record();
    expect(adapter(kernel, 'SMBus I801 adapter at f040')).toBe(0);
    rec.stop();
    const adap = kernel.device('i2c-0')!;
    const cls = `${adap.path}/i2c-dev/i2c-0`;
    expect(rec.events.find((e) => e.type === 'chain.block' && e.block === I2CDEV_NOTIFIER_NAME)).toMatchObject({
      action: BUS_NOTIFY_ADD_DEVICE,
      ret: 0,
    });
    expect(kernel.dev.exists('/dev/i2c-0')).toBe(true);
    expect(kernel.sysfs.realpath('/sys/class/i2c-dev/i2c-0')).toBe(cls);
    expect(kernel.sysfs.list(cls)).toEqual(['dev', 'device', 'name', 'subsystem', 'uevent']);
    expect(kernel.sysfs.read('/sys/class/i2c-dev/i2c-0/name')).toBe('SMBus I801 adapter at f040\n');
    expect(kernel.sysfs.read('/sys/class/i2c-dev/i2c-0/dev')).toBe('89:0\n');
    expect(kernel.sysfs.read(`${cls}/uevent`)).toBe('MAJOR=89\nMINOR=0\nDEVNAME=i2c-0\n');
    expect(kernel.sysfs.realpath(`${cls}/device`)).toBe(adap.path);
    expect(kernel.sysfs.realpath(`${cls}/subsystem`)).toBe('/sys/class/i2c-dev');
    expect(kernel.sysfs.stat(`${cls}/name`)).toEqual({ type: 'file', mode: 0o444 });
    expect(lines(kernel, KERN_DEBUG)).toContain('i2c-dev: adapter [SMBus I801 adapter at f040] registered as minor 0');
    expect(plugin.state(kernel)?.entries).toEqual([
      { nr: 0, adapterName: 'SMBus I801 adapter at f040', adapter: adap, path: cls },
    ]);
  });

  it('ignores i2c clients (0, no node)', () => {
    const kernel = createKernel({ plugins: [i2cdevPlugin()] });
    adapter(kernel, 'a');
    const rec = kernel.trace.record();
    kernel.addDevice({ bus: 'i2c', kind: 'client', name: 'lm75', adapter: 0, addr: 0x48 });
    rec.stop();
    expect(rec.events.find((e) => e.type === 'chain.block' && e.block === I2CDEV_NOTIFIER_NAME)).toMatchObject({
      ret: 0,
    });
    expect(kernel.dev.list()).toEqual(['/dev/i2c-0']);
  });

  it('v4.12: adapter number I2C_MINORS (1048575) is out of minors: -ENODEV, error line, no node; 1048574 is fine', () => {
    const plugin = i2cdevPlugin();
    const kernel = createKernel({ plugins: [plugin] });
    expect(I2C_MINORS).toBe(MINORMASK);
    expect(I2C_MINORS).toBe(1048575);
    const rec = kernel.trace.record();
    expect(adapter(kernel, 'numbered', 1048575)).toBe(0); // device_add() ignores the answer: the adapter is there
    rec.stop();
    expect(rec.events.find((e) => e.type === 'chain.block' && e.block === I2CDEV_NOTIFIER_NAME)).toMatchObject({
      ret: -ENODEV,
    });
    expect(kernel.device('i2c-1048575')).toBeDefined();
    expect(lines(kernel, KERN_ERR)).toEqual(['i2c-dev: Out of device minors (1048575)']);
    expect(kernel.dev.list()).toEqual([]);
    expect(adapter(kernel, 'last one', 1048574)).toBe(0);
    expect(kernel.dev.list()).toEqual(['/dev/i2c-1048574']);
    expect(plugin.state(kernel)?.entries.map((e) => e.nr)).toEqual([1048574]);
  });

  it('v4.12: the 257th adapter gets /dev/i2c-256 (the limit is on the number, not the count)', () => {
    const kernel = createKernel({ plugins: [i2cdevPlugin()] });
    for (let i = 0; i < 257; i++) adapter(kernel, `bus ${i}`);
    expect(kernel.dev.list()).toHaveLength(257);
    expect(kernel.dev.exists('/dev/i2c-256')).toBe(true);
    expect(lines(kernel, KERN_ERR)).toEqual([]);
  });

  it('minors: I2C_MINORS_V4_9 emulates v4.9: adapter 256 gets -ENODEV', () => {
    const kernel = createKernel({ plugins: [i2cdevPlugin({ minors: I2C_MINORS_V4_9 })] });
    for (let i = 0; i < 257; i++) adapter(kernel, `bus ${i}`);
    expect(kernel.dev.list()).toHaveLength(256);
    expect(kernel.dev.exists('/dev/i2c-256')).toBe(false);
    expect(lines(kernel, KERN_ERR)).toEqual(['i2c-dev: Out of device minors (256)']);
  });

  it('the raw -ENODEV carries the stop bit: a block registered after it is skipped for that adapter', () => {
    const kernel = createKernel({ plugins: [i2cdevPlugin({ minors: 4 })] });
    const seen: string[] = [];
    kernel.bus('i2c').registerNotifier({
      name: 'custom',
      notifierCall: (_a, dev) => {
        seen.push(dev?.name ?? 'NULL');
        return NOTIFY_OK;
      },
    });
    const rec = kernel.trace.record();
    adapter(kernel, 'fine', 3);
    adapter(kernel, 'too high', 4);
    rec.stop();
    expect(seen).toEqual(['i2c-3']);
    const returns = rec.events.filter((e) => e.type === 'chain.return' && e.action === BUS_NOTIFY_ADD_DEVICE);
    expect(returns.map((e) => (e.type === 'chain.return' ? [e.ret, e.stoppedBy, e.skipped] : null))).toEqual([
      [NOTIFY_OK, null, []],
      [-ENODEV, I2CDEV_NOTIFIER_NAME, ['custom']],
    ]);
  });

  it('a second ADD_DEVICE for an adapter that has its node: device_create() fails -EEXIST, state unchanged', () => {
    const plugin = i2cdevPlugin();
    const kernel = createKernel({ plugins: [plugin] });
    adapter(kernel, 'a');
    const before = snapshot(kernel, plugin);
    const adap = kernel.device('i2c-0')!;
    const ret = kernel.callChain(kernel.bus('i2c').notifier, BUS_NOTIFY_ADD_DEVICE, adap, 'test');
    expect(ret).toBe(-EEXIST);
    expect(snapshot(kernel, plugin)).toEqual(before);
    expect(lines(kernel, KERN_ERR)).toContain(
      "kobject_add_internal failed for i2c-0 with -EEXIST, don't try to register things with the same name in the same directory.",
    );
    expect(kernel.dmesg.lines({ timestamps: false })).toContain(
      "sysfs: cannot create duplicate filename '/devices/i2c-0/i2c-dev/i2c-0'",
    );
  });

  it('keeps a /dev node someone else made (devtmpfs failure is ignored), and leaves it alone on removal', () => {
    const kernel = createKernel({ plugins: [i2cdevPlugin()] });
    const fops = { open: () => -EINVAL };
    expect(kernel.dev.register('i2c-0', fops)).toBe(0);
    expect(adapter(kernel, 'a')).toBe(0);
    expect(kernel.sysfs.exists('/sys/class/i2c-dev/i2c-0')).toBe(true);
    expect(kernel.dev.open('/dev/i2c-0')).toBe(-EINVAL);
    kernel.removeDevice('i2c-0');
    expect(kernel.dev.list()).toEqual(['/dev/i2c-0']);
    expect(kernel.sysfs.exists('/sys/class/i2c-dev/i2c-0')).toBe(false);
  });

  it('an adapter number the kernel refuses (taken): -EBUSY from i2c_add_numbered_adapter, i2c-dev untouched', () => {
    const plugin = i2cdevPlugin();
    const kernel = createKernel({ plugins: [plugin] });
    adapter(kernel, 'first', 5);
    const before = snapshot(kernel, plugin);
    expect(adapter(kernel, 'second', 5)).toBe(-EBUSY);
    expect(snapshot(kernel, plugin)).toEqual(before);
    expect(kernel.sysfs.read('/sys/class/i2c-dev/i2c-5/name')).toBe('first\n');
  });

  it('an adapter number out of the API range is a SimError from core, nothing changed', () => {
    const plugin = i2cdevPlugin();
    const kernel = createKernel({ plugins: [plugin] });
    const before = snapshot(kernel, plugin);
    expect(() => adapter(kernel, 'bad', -1)).toThrow(SimError);
    expect(snapshot(kernel, plugin)).toEqual(before);
  });
});

describe('i2cdev_notifier_call: BUS_NOTIFY_DEL_DEVICE and module exit', () => {
  it('removing an adapter takes its node, class device, link and glue directory away', () => {
    const plugin = i2cdevPlugin();
    const kernel = createKernel({ plugins: [plugin] });
    adapter(kernel, 'a');
    adapter(kernel, 'b');
    const path = kernel.device('i2c-0')!.path;
    const rec = kernel.trace.record();
    kernel.removeDevice('i2c-0');
    rec.stop();
    expect(
      rec.events.find(
        (e) => e.type === 'chain.block' && e.block === I2CDEV_NOTIFIER_NAME && e.action === BUS_NOTIFY_DEL_DEVICE,
      ),
    ).toMatchObject({ ret: 0 });
    expect(kernel.dev.list()).toEqual(['/dev/i2c-1']);
    expect(kernel.sysfs.list('/sys/class/i2c-dev')).toEqual(['i2c-1']);
    expect(plugin.state(kernel)?.entries.map((e) => e.nr)).toEqual([1]);
    expect(lines(kernel, KERN_DEBUG)).toContain('i2c-dev: adapter [a] unregistered');
    expect(kernel.sysfs.exists(path)).toBe(false);
  });

  it('the glue directory goes with its class device while the adapter stays (module exit)', () => {
    const kernel = createKernel({ plugins: [i2cdevPlugin()] });
    adapter(kernel, 'a');
    const path = kernel.device('i2c-0')!.path;
    expect(kernel.sysfs.list(path)).toContain('i2c-dev');
    kernel.close();
    expect(kernel.sysfs.list(path)).not.toContain('i2c-dev');
    expect(kernel.dev.list()).toEqual([]);
    expect(kernel.sysfs.exists('/sys/class/i2c-dev')).toBe(false);
    expect(kernel.bus('i2c').notifier.blocks()).toEqual([]);
  });

  it('DEL_DEVICE of an adapter whose attach failed: 0, silently', () => {
    const kernel = createKernel({ plugins: [i2cdevPlugin({ minors: 2 })] });
    adapter(kernel, 'high', 2);
    kernel.dmesg.clear();
    const rec = kernel.trace.record();
    expect(kernel.removeDevice('i2c-2')).toBe(0);
    rec.stop();
    expect(rec.events.find((e) => e.type === 'chain.block' && e.action === BUS_NOTIFY_DEL_DEVICE)).toMatchObject({
      ret: 0,
    });
    expect(kernel.dmesg.lines().some((l) => l.includes('i2c-dev'))).toBe(false);
  });

  it('clients removed with their adapter are ignored; the adapter node goes last', () => {
    const kernel = createKernel({ plugins: [i2cdevPlugin()] });
    adapter(kernel, 'a');
    kernel.addDevice({ bus: 'i2c', kind: 'client', name: 'eeprom', adapter: 0, addr: 0x50 });
    kernel.removeDevice('i2c-0');
    expect(kernel.dev.list()).toEqual([]);
    expect(kernel.device('0-0050')).toBeUndefined();
  });
});

describe('NULL data', () => {
  it.each([BUS_NOTIFY_ADD_DEVICE, BUS_NOTIFY_DEL_DEVICE])(
    'event %i dereferences dev->type: the kernel oopses in i2cdev',
    (event) => {
      const kernel = createKernel({ plugins: [i2cdevPlugin()] });
      expect(() => kernel.callChain(kernel.bus('i2c').notifier, event, null, 'test')).toThrow();
      expect(kernel.oops?.message).toBe(
        'BUG: unable to handle kernel NULL pointer dereference (dev->type, data is NULL)',
      );
      expect(kernel.oops?.where).toMatch(/^drivers\/i2c\/i2c-dev\.c:\d+$/);
      expect(kernel.oops?.callPath.join(' > ')).toMatch(/i2cdev_notifier_call > i2cdev_(at|de)tach_adapter$/);
    },
  );
});

describe('/dev/i2c-N file operations', () => {
  it('open, I2C_SLAVE (range, busy address), I2C_SLAVE_FORCE, I2C_TENBIT, other commands', () => {
    const kernel = createKernel({ plugins: [i2cdevPlugin()] });
    adapter(kernel, 'a');
    kernel.addDevice({ bus: 'i2c', kind: 'client', name: 'eeprom', adapter: 0, addr: 0x50 });
    kernel.registerDriver({ name: 'at24', bus: 'i2c', ids: ['eeprom'], probe: 'ok' });
    const fd = kernel.dev.open('/dev/i2c-0')!;
    expect(fd).toBeGreaterThanOrEqual(3);
    expect(kernel.dev.file(fd)?.private).toEqual({ adapterNr: 0, addr: 0, tenBit: false });
    expect(kernel.dev.ioctl(fd, 'I2C_SLAVE', 0x51)).toBe(0);
    expect(kernel.dev.ioctl(fd, 'I2C_SLAVE', 0x50)).toBe(-EBUSY);
    expect(kernel.dev.ioctl(fd, 'I2C_SLAVE_FORCE', 0x50)).toBe(0);
    expect(kernel.dev.ioctl(fd, 'I2C_SLAVE', 0x80)).toBe(-EINVAL);
    expect(kernel.dev.ioctl(fd, 'I2C_SLAVE', 'x')).toBe(-EINVAL);
    expect(kernel.dev.ioctl(fd, 'I2C_TENBIT', 1)).toBe(0);
    expect(kernel.dev.ioctl(fd, 'I2C_SLAVE', 0x3ff)).toBe(0);
    expect(kernel.dev.ioctl(fd, 'I2C_TENBIT', 'x')).toBe(-EINVAL);
    expect(kernel.dev.ioctl(fd, 'I2C_RDWR', 0)).toBe(-ENOTTY);
    expect(kernel.dev.close(fd)).toBe(0);
  });

  it('the node is gone with its adapter (open: -ENOENT)', () => {
    const kernel = createKernel({ plugins: [i2cdevPlugin()] });
    adapter(kernel, 'a');
    kernel.removeDevice('i2c-0');
    expect(kernel.dev.open('/dev/i2c-0')).toBe(-ENOENT);
  });
});

describe('exercise()', () => {
  it('adds an adapter numbered I2C_MINORS through device_add(), which ignores the -ENODEV', () => {
    const plugin = i2cdevPlugin({ minors: 16 });
    const kernel = createKernel({ plugins: [plugin] });
    const rec = kernel.trace.record();
    plugin.exercise?.(kernel);
    rec.stop();
    expect(rec.events.find((e) => e.type === 'chain.block' && e.block === I2CDEV_NOTIFIER_NAME)).toMatchObject({
      ret: -ENODEV,
    });
    expect(rec.events.find((e) => e.type === 'chain.outcome')).toMatchObject({
      caller: 'device_add',
      outcome: 'ignored',
    });
    expect(kernel.device('i2c-16')).toBeDefined();
  });

  it('does nothing where i2c-dev failed to initialise', () => {
    const kernel = createKernel();
    kernel.sysfs.createDir('/sys/class/i2c-dev');
    const plugin = i2cdevPlugin();
    kernel.use(plugin);
    plugin.exercise?.(kernel);
    expect(kernel.devices()).toEqual([]);
  });
});

describe('i2cdevPlugin: options', () => {
  it.each([
    [null, /options object/],
    [[], /options object/],
    [{ minors: 0 }, /minors.*got 0/],
    [{ minors: 1048577 }, /minors.*1048577/],
    [{ minors: 2.5 }, /minors.*2\.5/],
    [{ minors: '256' }, /minors.*"256"/],
    [{ maxMinors: 256 }, /unknown option "maxMinors"; known options: minors/],
  ])('%j -> SimError SIM_ERR_I2CDEV_BAD_OPTION', (options, message) => {
    let thrown: unknown;
    try {
      i2cdevPlugin(options as never);
    } catch (e) {
      thrown = e;
    }
    expect(SimError.isInstance(thrown)).toBe(true);
    expect((thrown as SimError).code).toBe('SIM_ERR_I2CDEV_BAD_OPTION');
    expect((thrown as SimError).message).toMatch(message);
    expect(Object.keys(I2CDEV_ERROR_CODES)).toContain((thrown as SimError).code);
  });

  it('accepts the full range, 1 to 1 << 20', () => {
    expect(() => i2cdevPlugin({ minors: 1 })).not.toThrow();
    expect(() => i2cdevPlugin({ minors: 1 << 20 })).not.toThrow();
  });
});
