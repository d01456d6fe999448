import {
  BUS_NOTIFY_ADD_DEVICE,
  BUS_NOTIFY_BIND_DRIVER,
  createKernel,
  EINVAL,
  ENODEV,
  ENOENT,
  ENOMEM,
  NOTIFY_BAD,
  NOTIFY_STOP,
  notifierFromErrno,
} from '@sim/core';
import { describe, expect, it } from 'vitest';
import { GPU, NOUVEAU, snapshot, traced } from './helpers.ts';

describe('notifier injection (like lib/notifier-error-inject.c)', () => {
  it.each([
    ['NOTIFY_BAD', NOTIFY_BAD],
    ['NOTIFY_STOP', NOTIFY_STOP],
    [{ fromErrno: -EINVAL }, notifierFromErrno(-EINVAL)],
    [{ raw: -16 }, -16],
  ] as const)('answers %j on the chosen action only, and logs it', (answer, value) => {
    const { k, events } = traced();
    const inj = k.inject.notifier({ chain: 'pci', action: BUS_NOTIFY_BIND_DRIVER, answer });
    expect(inj.ret).toBe(0);
    k.registerDriver(NOUVEAU);
    k.addDevice(GPU);
    const answers = events.flatMap((e) => (e.type === 'chain.block' ? [[e.actionName, e.ret]] : []));
    expect(answers).toContainEqual(['BUS_NOTIFY_BIND_DRIVER', value]);
    expect(answers).toContainEqual(['BUS_NOTIFY_ADD_DEVICE', 0]);
    expect(k.dmesg.lines({ timestamps: false })).toContain(
      `Injecting ${typeof answer === 'string' ? answer : 'fromErrno' in answer ? `notifierFromErrno(${answer.fromErrno})` : `raw ${answer.raw}`} (${value}) to BUS_NOTIFY_BIND_DRIVER`,
    );
    expect(k.inject.list()).toHaveLength(1);
    expect(inj.remove()).toBe(0);
    expect(inj.remove()).toBe(-ENOENT);
    expect(k.inject.list()).toEqual([]);
  });

  it('with the seed flag an injected NOTIFY_BAD stops the bind; a high priority runs before other blocks', () => {
    const k = createKernel({ profile: 'v4.12+bind-veto' });
    const seen: string[] = [];
    k.bus('pci').registerNotifier({
      name: 'observer',
      notifierCall: (a) => {
        if (a === BUS_NOTIFY_BIND_DRIVER) seen.push('observer');
        return 0;
      },
    });
    k.inject.notifier({ chain: 'pci', action: BUS_NOTIFY_BIND_DRIVER, answer: 'NOTIFY_BAD', priority: 100 });
    k.registerDriver(NOUVEAU);
    k.addDevice(GPU);
    expect(k.device(GPU.address)?.driver).toBeNull();
    expect(seen).toEqual([]);
  });

  it('times limits how often it answers', () => {
    const k = createKernel({ profile: 'v4.12+bind-veto' });
    k.inject.notifier({ chain: 'pci', action: BUS_NOTIFY_BIND_DRIVER, answer: 'NOTIFY_BAD', times: 1 });
    k.registerDriver(NOUVEAU);
    k.addDevice(GPU);
    expect(k.device(GPU.address)?.driver).toBeNull();
    expect(k.sysfs.write('/sys/bus/pci/drivers_probe', GPU.address)).toBe(12);
    expect(k.device(GPU.address)?.driver?.name).toBe('nouveau');
  });

  it('works on any chain the kernel made, and for any action', () => {
    const k = createKernel();
    const chain = k.createChain('blocking', 'custom-chain');
    k.inject.notifier({ chain: 'custom-chain', action: 'any', answer: { raw: -ENODEV } });
    expect(chain.callChain(42, null)).toBe(-ENODEV);
    expect(k.chains()).toEqual(['platform', 'pci', 'i2c', 'custom-chain']);
  });

  it('rejects an unknown chain, a bad answer or action, changing nothing', () => {
    const k = createKernel();
    const before = snapshot(k);
    expect(() => k.inject.notifier({ chain: 'usb', action: 1, answer: 'NOTIFY_BAD' })).toThrow(
      /SIM_ERR_INJECT_BAD_SPEC: no chain named "usb"; known chains: platform, pci, i2c/,
    );
    expect(() => k.inject.notifier({ chain: 'pci', action: 1, answer: 'BAD' as never })).toThrow(
      /injected answer "BAD"/,
    );
    expect(() => k.inject.notifier({ chain: 'pci', action: 1, answer: { fromErrno: 5 } })).toThrow(
      /SIM_ERR_INJECT_BAD_SPEC/,
    );
    expect(() => k.inject.notifier({ chain: 'pci', action: -1, answer: 'NOTIFY_BAD' })).toThrow(/action -1/);
    expect(() =>
      k.inject.notifier({ chain: 'pci', action: BUS_NOTIFY_ADD_DEVICE, answer: 'NOTIFY_OK', times: 0 }),
    ).toThrow(/times 0/);
    expect(snapshot(k)).toEqual(before);
  });
});

describe('probe faults (like fail_function on the probe)', () => {
  it('fails the n-th call only, without running the probe', () => {
    const { k, events } = traced();
    let ran = 0;
    k.registerDriver({
      ...NOUVEAU,
      probe: () => {
        ran++;
        return 0;
      },
    });
    k.inject.probe({ driver: 'nouveau', bus: 'pci', errno: -ENOMEM, nth: 1 });
    k.addDevice(GPU);
    expect(k.device(GPU.address)?.driver).toBeNull();
    expect(ran).toBe(0);
    expect(k.dmesg.lines({ timestamps: false })).toContain('nouveau: probe of 0000:01:00.0 failed with error -12');
    expect(events.some((e) => e.type === 'probe' && e.ret === -ENOMEM)).toBe(true);
    expect(k.sysfs.write('/sys/bus/pci/drivers/nouveau/bind', GPU.address)).toBe(12);
    expect(ran).toBe(1);
  });

  it('without nth fails every call, until removed', () => {
    const k = createKernel();
    k.registerDriver(NOUVEAU);
    const fault = k.inject.probe({ driver: 'nouveau', bus: 'pci', errno: -ENODEV });
    k.addDevice(GPU);
    expect(k.sysfs.write('/sys/bus/pci/drivers/nouveau/bind', GPU.address)).toBe(-ENODEV);
    expect(fault.remove()).toBe(0);
    expect(k.sysfs.write('/sys/bus/pci/drivers/nouveau/bind', GPU.address)).toBe(12);
  });

  it('rejects an unknown driver or a bad errno', () => {
    const k = createKernel();
    expect(() => k.inject.probe({ driver: 'x', bus: 'pci', errno: -1 })).toThrow(/no driver "x" on bus 'pci'/);
    k.registerDriver(NOUVEAU);
    expect(() => k.inject.probe({ driver: 'nouveau', bus: 'pci', errno: 1.5 })).toThrow(/errno 1.5/);
    expect(() => k.inject.probe({ driver: 'nouveau', bus: 'pci', errno: -1, nth: 0 })).toThrow(/nth 0/);
  });
});

describe('sysfs creation faults (failslab on kernfs_new_node())', () => {
  it('fails the creation of the named entry, times times, logs it, and leaves the tree untouched', () => {
    const { k } = traced();
    k.addDevice({ bus: 'platform', name: 'gadget' });
    const inj = k.inject.sysfs({ name: 'extra', under: '/sys/devices/platform', errno: -ENOMEM, times: 1 });
    expect(inj.ret).toBe(0);
    expect(k.inject.list()).toEqual(['sysfs extra under /sys/devices/platform -> -12 (1x)']);
    expect(k.sysfs.createDir('/sys/kernel/extra')).toBe(0);
    expect(k.sysfs.createDir('/sys/devices/platform/gadget/extra')).toBe(-ENOMEM);
    expect(k.sysfs.exists('/sys/devices/platform/gadget/extra')).toBe(false);
    expect(k.dmesg.lines({ timestamps: false })).toContain(
      'Injecting -12 to the creation of /sys/devices/platform/gadget/extra',
    );
    expect(k.sysfs.createDir('/sys/devices/platform/gadget/extra')).toBe(0);
    expect(inj.remove()).toBe(0);
    expect(inj.remove()).toBe(-ENOENT);
  });

  it.each([
    [null, /inject\.sysfs\(\) takes/],
    [{ name: '', errno: -12 }, /name/],
    [{ name: 'a/b', errno: -12 }, /name/],
    [{ name: 'x', errno: 0 }, /errno/],
    [{ name: 'x', errno: -5000 }, /errno/],
    [{ name: 'x', errno: -12, times: 0 }, /times/],
    [{ name: 'x', under: 'devices', errno: -12 }, /under/],
  ])('refuses %j with SIM_ERR_INJECT_BAD_SPEC', (spec, message) => {
    const { k } = traced();
    expect(() => k.inject.sysfs(spec as never)).toThrow(message);
    expect(k.inject.list()).toEqual([]);
  });
});
