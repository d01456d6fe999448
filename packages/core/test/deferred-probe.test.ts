import { createKernel, EDEADLK, EPROBE_DEFER, type Kernel, type TraceEvent } from '@sim/core';
import { describe, expect, it } from 'vitest';

/** Far more probe calls than any bounded retry needs: past this, the test's probe stops the run itself. */
const RUNAWAY = 20_000;

/**
 * Platform device `b` bound to driver `b`; device `a` whose driver's probe unbinds and rebinds `b` (a bind, which
 * triggers the deferred-probe work) and then asks to be deferred: v4.12's deferred_probe_work_func() retries `a`
 * forever.
 */
function livelocked(): { k: Kernel; calls: () => number } {
  const k = createKernel();
  k.addDevice({ bus: 'platform', name: 'b' });
  k.registerDriver({ name: 'b', bus: 'platform', probe: 'ok' });
  k.addDevice({ bus: 'platform', name: 'a' });
  let calls = 0;
  k.registerDriver({
    name: 'a-drv',
    bus: 'platform',
    ids: ['a'],
    probe: () => {
      if (++calls > RUNAWAY) throw new Error(`runaway: ${calls} probe calls`);
      k.sysfs.write('/sys/bus/platform/drivers/b/unbind', 'b');
      k.sysfs.write('/sys/bus/platform/drivers/b/bind', 'b');
      return -EPROBE_DEFER;
    },
  });
  return { k, calls: () => calls };
}

describe('deferred probe that makes no progress', () => {
  it('is a splat and -EDEADLK for the operation, not an endless retry', () => {
    const k = createKernel();
    k.addDevice({ bus: 'platform', name: 'b' });
    k.registerDriver({ name: 'b', bus: 'platform', probe: 'ok' });
    k.addDevice({ bus: 'platform', name: 'a' });
    const { events } = k.trace.record();
    let calls = 0;
    const ret = k.registerDriver({
      name: 'a-drv',
      bus: 'platform',
      ids: ['a'],
      probe: () => {
        if (++calls > RUNAWAY) throw new Error(`runaway: ${calls} probe calls`);
        k.sysfs.write('/sys/bus/platform/drivers/b/unbind', 'b');
        k.sysfs.write('/sys/bus/platform/drivers/b/bind', 'b');
        return -EPROBE_DEFER;
      },
    });
    expect(ret).toBe(-EDEADLK);
    expect(k.oops).toBeNull();
    expect(calls).toBeLessThan(1000);
    const splats = (events as TraceEvent[]).filter((e) => e.type === 'splat');
    expect(splats).toHaveLength(1);
    const splat = (splats[0] as Extract<TraceEvent, { type: 'splat' }>).splat;
    expect(splat.kind).toBe('deferred-probe-livelock');
    expect(splat.fatal).toBe(false);
    expect(splat.message).toBe('INFO: deferred probe makes no progress: a deferred again and again');
    expect(splat.detail).toMatch(/v4\.12 retries .* forever/);
    expect(k.dmesg.lines({ timestamps: false })).toContain(splat.message);
    // The device waits on the pending list (as after any deferral); the driver is registered; b is bound.
    expect(k.device('a')?.driver).toBeNull();
    expect(k.driver('a-drv', 'platform')).toBeDefined();
    expect(k.device('b')?.driver?.name).toBe('b');
  });

  it('the kernel lives on: the next bind retries the device, and reports again if it still makes no progress', () => {
    const { k, calls } = livelocked();
    const first = calls();
    k.addDevice({ bus: 'platform', name: 'c' });
    expect(k.registerDriver({ name: 'c', bus: 'platform', probe: 'ok' })).toBe(-EDEADLK);
    expect(calls()).toBeGreaterThan(first);
    expect(calls()).toBeLessThan(2000);
    expect(k.device('c')?.driver?.name).toBe('c');
    expect(k.oops).toBeNull();
  });

  it('a device that defers a few times while others bind still ends bound (no false report)', () => {
    const k = createKernel();
    k.addDevice({ bus: 'platform', name: 'b' });
    k.registerDriver({ name: 'b', bus: 'platform', probe: 'ok' });
    k.addDevice({ bus: 'platform', name: 'a' });
    let calls = 0;
    const ret = k.registerDriver({
      name: 'a-drv',
      bus: 'platform',
      ids: ['a'],
      probe: () => {
        calls++;
        if (calls > 20) return 0;
        k.sysfs.write('/sys/bus/platform/drivers/b/unbind', 'b');
        k.sysfs.write('/sys/bus/platform/drivers/b/bind', 'b');
        return -EPROBE_DEFER;
      },
    });
    expect(ret).toBe(0);
    expect(k.device('a')?.driver?.name).toBe('a-drv');
  });

  it('a long chain of suppliers binds in full (each retry is progress)', () => {
    const k = createKernel({ dynamicDebug: false });
    const n = 200;
    for (let i = 0; i < n; i++) k.addDevice({ bus: 'platform', name: `d${i}` });
    // d(i) waits for d(i+1)'s driver; registered first to last, so each bind unblocks one more.
    for (let i = 0; i < n; i++) {
      const supplier = i + 1 < n ? `drv${i + 1}` : null;
      k.registerDriver({
        name: `drv${i}`,
        bus: 'platform',
        ids: [`d${i}`],
        probe: supplier === null ? 'ok' : { deferUntil: supplier },
      });
    }
    expect(k.devices().every((d) => d.driver !== null)).toBe(true);
  });
});
