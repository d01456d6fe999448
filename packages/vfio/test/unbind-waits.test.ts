import { EDEADLK, type Kernel, type TaskSyscalls, type TraceEvent } from '@sim/core';
import {
  isUnbindBlocked,
  VFIO_DEVICE_SET_IRQS,
  VFIO_GROUP_GET_DEVICE_FD,
  VFIO_GROUP_SET_CONTAINER,
  VFIO_PCI_REQ_IRQ_INDEX,
  VFIO_SET_IOMMU,
  VFIO_TYPE1_IOMMU,
  vfioPciReqTrigger,
} from '@sim/vfio';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AUDIO, bothToVfio, GPU, goLive, lines, seedKernel } from './helpers.ts';

// vfio_del_group_dev() (v4.12) and vfio_unregister_group_dev() (6.12) wait for userspace to let go of the device:
// see docs/decisions/2026-12-02-vfio-unbind-waits.md.

const UNBIND = '/sys/bus/pci/drivers/vfio-pci/unbind';
const PROFILES = ['v4.12', 'v6.12'] as const;
/** The eventfd number the tests register (sim has no eventfd(2): any number that is not an open file). */
const EVENTFD = 99;

function kernel(profile: string): Kernel {
  const k = seedKernel(profile, false);
  bothToVfio(k);
  return k;
}

/** The bus notifier events of the pci bus for a device, by name. */
function busEvents(events: readonly TraceEvent[], dev: string): string[] {
  return events.flatMap((e) =>
    e.type === 'chain.call' && e.chain === 'pci' && e.device === dev ? [e.actionName] : [],
  );
}

interface HolderPlan {
  /** Register a request eventfd on the device fd. */
  readonly trigger: boolean;
  /** How long the holder keeps the device fd once the unbind waits (ms of simulated time). */
  readonly holdMs: number;
  /** Close the fd at the end (false: the task ends with the fd still open). */
  readonly close: boolean;
}

/**
 * Task A: the vfio user. It opens the container and group 1, sets the container and the IOMMU, takes the audio
 * function's device fd, sleeps a second (the unbinding task runs and blocks meanwhile), holds the fd `holdMs` more,
 * then closes it. Returns what it saw just before the close.
 */
function holder(k: Kernel, plan: HolderPlan) {
  return {
    name: 'qemu',
    *run(sys: TaskSyscalls) {
      const container = (yield* sys.open('/dev/vfio/vfio'))!;
      const group = (yield* sys.open('/dev/vfio/1'))!;
      expect(yield* sys.ioctl(group, VFIO_GROUP_SET_CONTAINER, container)).toBe(0);
      expect(yield* sys.ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU)).toBe(0);
      const fd = (yield* sys.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, AUDIO))!;
      expect(fd).toBeGreaterThanOrEqual(3);
      if (plan.trigger) {
        expect(yield* sys.ioctl(fd, VFIO_DEVICE_SET_IRQS, { index: VFIO_PCI_REQ_IRQ_INDEX, eventfd: EVENTFD })).toBe(0);
      }
      yield* sys.sleep(1000);
      const blocked = k.device(AUDIO)!.driver?.name ?? null;
      yield* sys.sleep(plan.holdMs);
      const seen = { fd, blocked, trigger: vfioPciReqTrigger(k, k.device(AUDIO)!), at: k.now() };
      if (plan.close) expect(yield* sys.close(fd)).toBe(0);
      return seen;
    },
  };
}

/** Task B: the administrator unbinding the audio function from vfio-pci. */
const unbinder = {
  name: 'sh',
  *run(sys: TaskSyscalls) {
    return yield* sys.write(UNBIND, `${AUDIO}\n`);
  },
};

describe.each(PROFILES)('%s: an unbind waits while another task holds the device fd', (profile) => {
  it('the write blocks until the close, then returns its count with one UNBIND_DRIVER/UNBOUND_DRIVER pair', () => {
    const k = kernel(profile);
    const rec = k.trace.record();
    const r = k.runTasks([holder(k, { trigger: false, holdMs: 30_000, close: true }), unbinder]);
    rec.stop();
    expect(r.hung).toEqual([]);
    expect(r.results.sh).toBe(AUDIO.length + 1);
    const seen = r.results.qemu as { blocked: string | null; at: number };
    // While it waited the device was still bound (the remove had not returned).
    expect(seen.blocked).toBe('vfio-pci');
    const dev = k.device(AUDIO)!;
    expect(dev.driver).toBeNull();
    expect(isUnbindBlocked(k, dev)).toBe(false);
    expect(busEvents(rec.events, AUDIO)).toEqual(['BUS_NOTIFY_UNBIND_DRIVER', 'BUS_NOTIFY_UNBOUND_DRIVER']);
    const log = lines(k);
    expect(log.filter((l) => l.includes('No device request channel registered')).length).toBe(1);
    expect(log.some((l) => l.includes('INFO: task'))).toBe(false);
    // The write ended when the fd was closed (31 s after it began), not at a request's 10 s tick.
    expect(k.now()).toBeGreaterThanOrEqual(seen.at);
    expect(k.now() - seen.at).toBeLessThan(1_000_000_000);
    // The GPU is still vfio's, its group still there.
    expect(k.device(GPU)!.driver?.name).toBe('vfio-pci');
    expect(k.dev.exists('/dev/vfio/1')).toBe(true);
  });

  it('with a request eventfd, each 10 s request signals it; the 0th and the 10th are relayed when the wait spans 100 s', () => {
    const k = kernel(profile);
    const r = k.runTasks([holder(k, { trigger: true, holdMs: 100_000, close: true }), unbinder]);
    expect(r.results.sh).toBe(AUDIO.length + 1);
    const seen = r.results.qemu as { trigger: { eventfd: number; signals: number } };
    // Requests #0 to #10: at the start of the wait and at each of its 10 s timeouts before the close at 101 s.
    expect(seen.trigger).toEqual({ eventfd: EVENTFD, signals: 11 });
    const relays = lines(k).filter((l) => l.includes('Relaying device request'));
    expect(relays).toEqual([
      `vfio-pci ${AUDIO}: Relaying device request to user (#0)`,
      `vfio-pci ${AUDIO}: Relaying device request to user (#10)`,
    ]);
    expect(lines(k).some((l) => l.includes('No device request channel'))).toBe(false);
    expect(k.device(AUDIO)!.driver).toBeNull();
  });

  it('a holder that never closes: the waiting task is reported hung (-EDEADLK); a close and a second unbind finish', () => {
    const k = kernel(profile);
    const r = k.runTasks([holder(k, { trigger: false, holdMs: 5_000, close: false }), unbinder]);
    expect(r.hung).toEqual(['sh']);
    expect(r.results.sh).toBe(-EDEADLK);
    const log = lines(k);
    expect(log).toContain(`INFO: task sh:3 blocked for more than 120 seconds.`);
    const waits = log.find((l) => l.includes('sh:3 waits for'));
    expect(waits).toContain(`the release of ${AUDIO} by userspace`);
    expect(waits).toContain('closing the device fd in another task lets the unbind finish');
    const dev = k.device(AUDIO)!;
    expect(dev.driver?.name).toBe('vfio-pci');
    expect(isUnbindBlocked(k, dev)).toBe(true);
    const fd = (r.results.qemu as { fd: number }).fd;
    expect(k.dev.close(fd)).toBe(0);
    expect(k.sysfs.write(UNBIND, `${AUDIO}\n`)).toBe(AUDIO.length + 1);
    expect(dev.driver).toBeNull();
    expect(isUnbindBlocked(k, dev)).toBe(false);
  });

  it('outside a task run: a request every 10 s (#0 and #10 relayed), the hung-task report at 120 s, -EDEADLK; then the recovery', () => {
    const k = kernel(profile);
    const { group } = goLive(k);
    const fd = k.dev.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, AUDIO)!;
    expect(k.dev.ioctl(fd, VFIO_DEVICE_SET_IRQS, { index: VFIO_PCI_REQ_IRQ_INDEX, eventfd: EVENTFD })).toBe(0);
    const rec = k.trace.record();
    const t0 = k.now();
    expect(k.sysfs.write(UNBIND, `${AUDIO}\n`)).toBe(-EDEADLK);
    const dev = k.device(AUDIO)!;
    // Requests at 0, 10, ..., 110 s: 12 signals, the 0th and 10th relayed; the next wait would end past the
    // hung-task timeout, which is reported at 120 s.
    expect(vfioPciReqTrigger(k, dev)).toEqual({ eventfd: EVENTFD, signals: 12 });
    expect(lines(k).filter((l) => l.includes('Relaying device request'))).toHaveLength(2);
    expect(lines(k)).toContain('INFO: task sim:1 blocked for more than 120 seconds.');
    expect(k.now() - t0).toBeGreaterThanOrEqual(120_000_000_000);
    expect(k.now() - t0).toBeLessThan(121_000_000_000);
    expect(dev.driver?.name).toBe('vfio-pci');
    expect(isUnbindBlocked(k, dev)).toBe(true);
    // The recovery: close the fd, unbind again. Its price is a second UNBIND_DRIVER (the first remove never returned).
    expect(k.dev.close(fd)).toBe(0);
    expect(k.sysfs.write(UNBIND, `${AUDIO}\n`)).toBe(AUDIO.length + 1);
    rec.stop();
    expect(dev.driver).toBeNull();
    expect(busEvents(rec.events, AUDIO)).toEqual([
      'BUS_NOTIFY_UNBIND_DRIVER',
      'BUS_NOTIFY_UNBIND_DRIVER',
      'BUS_NOTIFY_UNBOUND_DRIVER',
    ]);
    // No reference was lost: the GPU's unbind and the last closes take the group away.
    expect(k.sysfs.write(UNBIND, `${GPU}\n`)).toBe(GPU.length + 1);
    for (const f of k.dev.openFiles()) k.dev.close(f.fd);
    expect(k.dev.exists('/dev/vfio/1')).toBe(false);
  });

  it('a device nobody holds unbinds at once, without a request (the sync path)', () => {
    const k = kernel(profile);
    goLive(k);
    const t0 = k.now();
    expect(k.sysfs.write(UNBIND, `${AUDIO}\n`)).toBe(AUDIO.length + 1);
    expect(k.now() - t0).toBeLessThan(1_000_000_000);
    expect(lines(k).some((l) => l.includes('request'))).toBe(false);
  });

  it('closing the group fd and the container does not end the wait; the device fd does', () => {
    const k = kernel(profile);
    let waitingAfterGroupClose: boolean | null = null;
    const r = k.runTasks([
      {
        name: 'qemu',
        *run(sys) {
          const container = (yield* sys.open('/dev/vfio/vfio'))!;
          const group = (yield* sys.open('/dev/vfio/1'))!;
          yield* sys.ioctl(group, VFIO_GROUP_SET_CONTAINER, container);
          yield* sys.ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU);
          const fd = (yield* sys.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, AUDIO))!;
          yield* sys.sleep(1000);
          expect(yield* sys.close(group)).toBe(0);
          expect(yield* sys.close(container)).toBe(0);
          yield* sys.sleep(15_000);
          waitingAfterGroupClose = k.device(AUDIO)!.driver !== null;
          return yield* sys.close(fd);
        },
      },
      unbinder,
    ]);
    expect(waitingAfterGroupClose).toBe(true);
    expect(r.results).toMatchObject({ qemu: 0, sh: AUDIO.length + 1 });
    expect(k.device(AUDIO)!.driver).toBeNull();
  });
});

describe('VFIO_DEVICE_SET_IRQS on the request index (vfio-pci)', () => {
  function deviceFd(profile: string) {
    const k = kernel(profile);
    const { group, container } = goLive(k);
    const fd = k.dev.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, AUDIO)!;
    return { k, fd, group, container, dev: k.device(AUDIO)! };
  }

  it.each(PROFILES)('%s: sets and clears the eventfd; bad arguments change nothing', (profile) => {
    const { k, fd, group, dev } = deviceFd(profile);
    const set = (arg: unknown) => k.dev.ioctl(fd, VFIO_DEVICE_SET_IRQS, arg);
    expect(set({ index: VFIO_PCI_REQ_IRQ_INDEX, eventfd: 7 })).toBe(0);
    expect(vfioPciReqTrigger(k, dev)).toEqual({ eventfd: 7, signals: 0 });
    for (const [i, [arg, ret]] of (
      [
        [undefined, -14],
        [null, -14],
        ['4', -14],
        [{}, -14],
        [{ index: 4, eventfd: 'x' }, -14],
        [{ index: 4, eventfd: 1.5 }, -14],
        [{ index: -1, eventfd: 3 }, -14],
        [{ index: 5, eventfd: 8 }, -22],
        [{ index: 4, flags: 1 << 6, eventfd: 8 }, -22],
        [{ index: 4, start: 1, eventfd: 8 }, -22],
        [{ index: 4, count: 2, eventfd: 8 }, -22],
        [{ index: 4, flags: 0x24 | 0x02, eventfd: 8 }, -22],
        [{ index: 4, flags: 0x04 | 0x08, eventfd: 8 }, -25],
        [{ index: 0, eventfd: 8 }, -25],
        [{ index: 4, eventfd: group }, -22],
        [{ index: 4, eventfd: 8, count: 0 }, -22],
        [
          {
            get index(): number {
              throw 'not an Error';
            },
          },
          -14,
        ],
        [JSON.parse('{"__proto__": {"index": 4}, "eventfd": 8}'), -14],
      ] as const
    ).entries()) {
      expect(set(arg), `bad argument #${i}`).toBe(ret);
    }
    expect(vfioPciReqTrigger(k, dev)).toEqual({ eventfd: 7, signals: 0 });
    // DATA_BOOL and DATA_NONE with count 1: loopback signals.
    expect(set({ index: 4, flags: 0x22, data: true })).toBe(0);
    expect(set({ index: 4, flags: 0x21 })).toBe(0);
    expect(vfioPciReqTrigger(k, dev)).toEqual({ eventfd: 7, signals: 2 });
    // Below -1: v4.12 ignores it (0), 6.12 refuses it.
    expect(set({ index: 4, eventfd: -2 })).toBe(profile === 'v4.12' ? 0 : -22);
    // DATA_NONE with count 0 clears; then there is nothing to clear.
    expect(set({ index: 4, flags: 0x21, count: 0 })).toBe(0);
    expect(vfioPciReqTrigger(k, dev)).toBeNull();
    expect(set({ index: 4, flags: 0x21, count: 0 })).toBe(-22);
    expect(set({ index: 4, eventfd: 9 })).toBe(0);
    expect(set({ index: 4, eventfd: -1 })).toBe(0);
    expect(vfioPciReqTrigger(k, dev)).toBeNull();
    // Another device ioctl is not modelled.
    expect(k.dev.ioctl(fd, 'VFIO_DEVICE_GET_INFO', {})).toBe(-25);
  });

  it('the eventfd outlives the device fd on v4.12 (vfio_pci_release keeps it); 6.12 drops it at the last close', () => {
    for (const profile of PROFILES) {
      const { k, fd, group, dev } = deviceFd(profile);
      expect(k.dev.ioctl(fd, VFIO_DEVICE_SET_IRQS, { index: 4, eventfd: 7 })).toBe(0);
      expect(k.dev.close(fd)).toBe(0);
      expect(vfioPciReqTrigger(k, dev), profile).toEqual(profile === 'v4.12' ? { eventfd: 7, signals: 0 } : null);
      // With a stale eventfd, v4.12's next blocked unbind relays to it.
      const again = k.dev.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, AUDIO)!;
      expect(again).toBeGreaterThanOrEqual(3);
      expect(k.sysfs.write(UNBIND, `${AUDIO}\n`)).toBe(-EDEADLK);
      const relayed = lines(k).some((l) => l.includes('Relaying device request to user (#0)'));
      expect(relayed, profile).toBe(profile === 'v4.12');
    }
  });
});

describe('under every schedule (fast-check picks who runs at each switch point)', () => {
  it.each(PROFILES)(
    '%s: the unbind completes once, with one UNBIND/UNBOUND pair, and the requests match the wait',
    (profile) => {
      fc.assert(
        fc.property(
          fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
          fc.integer({ min: 0, max: 100_000 }),
          fc.boolean(),
          (picks, holdMs, trigger) => {
            const k = kernel(profile);
            const rec = k.trace.record();
            let got = -1;
            let i = 0;
            const r = k.runTasks(
              [
                {
                  name: 'qemu',
                  *run(sys) {
                    const container = (yield* sys.open('/dev/vfio/vfio'))!;
                    const group = (yield* sys.open('/dev/vfio/1'))!;
                    yield* sys.ioctl(group, VFIO_GROUP_SET_CONTAINER, container);
                    yield* sys.ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU);
                    // The unbind may have come first: then there is no device to get (-ENODEV).
                    got = (yield* sys.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, AUDIO))!;
                    if (got < 0) return got;
                    if (trigger) yield* sys.ioctl(got, VFIO_DEVICE_SET_IRQS, { index: 4, eventfd: EVENTFD });
                    yield* sys.sleep(holdMs);
                    return yield* sys.close(got);
                  },
                },
                unbinder,
              ],
              { choose: (p) => p.enabled[(picks[i++ % picks.length] ?? 0) % p.enabled.length]! },
            );
            rec.stop();
            expect(r.hung).toEqual([]);
            expect(r.results.sh).toBe(AUDIO.length + 1);
            expect(k.device(AUDIO)!.driver).toBeNull();
            expect(isUnbindBlocked(k, k.device(AUDIO)!)).toBe(false);
            expect(busEvents(rec.events, AUDIO)).toEqual(['BUS_NOTIFY_UNBIND_DRIVER', 'BUS_NOTIFY_UNBOUND_DRIVER']);
            // A request per started 10 s of waiting: at most one per 10 s of the hold, plus the first.
            const log = lines(k);
            const warned = log.filter((l) => l.includes('No device request channel')).length;
            const relays = log.filter((l) => l.includes('Relaying device request')).length;
            expect(warned + relays).toBeLessThanOrEqual(1 + Math.floor(holdMs / 100_000));
            if (got < 0) expect(warned + relays).toBe(0);
            if (!trigger) expect(relays).toBe(0);
          },
        ),
        { numRuns: 60 },
      );
    },
  );
});
