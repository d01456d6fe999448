import { BUS_NOTIFY_ADD_DEVICE, createKernel, EDEADLK, type NotifierBlock } from '@sim/core';
import { describe, expect, it } from 'vitest';
import { X86 } from '../src/worlds.ts';

const NIC = { bus: 'pci', address: '0000:02:00.0', vendor: 0x8086, device: 0x10fb, class: 0x020000 } as const;

/** Hazards never hang sim: each is reported as the kernel's splat, and the run goes on. */
describe('hazards on a full kernel (x86, vfio, i2c-dev)', () => {
  it('a notifier that unregisters itself mid-call: lockdep splat, -EDEADLK, the operation completes', () => {
    const k = createKernel(X86.options('rfc-2017'));
    let ret = 0;
    const self: NotifierBlock<unknown> = {
      name: 'quitter',
      notifierCall: (action) => {
        if (action === BUS_NOTIFY_ADD_DEVICE) ret = k.bus('pci').unregisterNotifier(self as never);
        return 0;
      },
    };
    k.bus('pci').registerNotifier(self as never);
    expect(k.addDevice(NIC)).toBe(0);
    expect(ret).toBe(-EDEADLK);
    expect(k.dmesg.lines({ timestamps: false })).toContain('WARNING: possible recursive locking detected');
    expect(k.addDevice({ ...NIC, address: '0000:03:00.0' })).toBe(0);
    expect(k.oops).toBeNull();
  });

  it('a notifier that sleeps on an atomic chain: might_sleep splat on every call, the chain still runs', () => {
    const k = createKernel(X86.options('v4.12'));
    const chain = k.createChain('atomic', 'panic_notifier_list');
    const seen: string[] = [];
    const logging = (name: string) => () => {
      seen.push(name);
      return 0;
    };
    chain.register({ name: 'sleepy', mightSleep: true, notifierCall: logging('sleepy') });
    chain.register({ name: 'after', notifierCall: logging('after') });
    chain.callChain(0, null);
    chain.callChain(0, null);
    expect(seen).toEqual(['sleepy', 'after', 'sleepy', 'after']);
    expect(
      k.dmesg
        .lines({ timestamps: false })
        .filter((l) => l.startsWith('BUG: sleeping function called from invalid context')),
    ).toHaveLength(2);
    expect(k.addDevice(NIC)).toBe(0);
  });

  it('a notifier that re-enters its own chain without end: a stack-overflow oops after 64 levels, no hang', () => {
    const k = createKernel(X86.options('v4.12'));
    let depth = 0;
    k.bus('pci').registerNotifier({
      name: 'recursor',
      notifierCall: (action, dev) => {
        depth++;
        return k.callChain(k.bus('pci').notifier, action, dev, 'recursor');
      },
    });
    expect(k.addDevice(NIC)).toBeNull();
    expect(depth).toBe(64);
    expect(k.oops?.message).toBe('kernel stack overflow (double-fault)');
    expect(k.dmesg.lines({ timestamps: false })).toContain('kernel stack overflow (double-fault)');
  });
});
