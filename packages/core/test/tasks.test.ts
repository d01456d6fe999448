import {
  type Chooser,
  createKernel,
  EBUSY,
  EDEADLK,
  ENODEV,
  type Kernel,
  type KernelOptions,
  type SimError,
  type SwitchPoint,
  type TaskSpec,
} from '@sim/core';
import { describe, expect, it } from 'vitest';

const DEV = '0000:01:00.0';
const NIC = { bus: 'pci', address: DEV, vendor: 0x8086, device: 0x10fb, class: 0x020000 } as const;
const drivers = (probe: 'ok' | (() => unknown) = 'ok') => [
  { name: 'ixgbe', bus: 'pci', ids: [{ vendor: 0x8086, device: 0x10fb }], probe },
  { name: 'ixgbe-alt', bus: 'pci', ids: [{ vendor: 0x8086, device: 0x10fb }] },
];

/** A kernel with the NIC present and unbound, and two drivers that match it registered. */
function machine(options?: KernelOptions, probe?: () => unknown): Kernel {
  const k = createKernel(options);
  k.addDevice(NIC);
  for (const d of drivers(probe as never)) k.registerDriver(d as never);
  k.sysfs.write(`/sys/bus/pci/drivers/ixgbe/unbind`, DEV);
  return k;
}

const bindTo = (name: string, driver: string): TaskSpec => ({
  name,
  *run(sys) {
    return yield* sys.write(`/sys/bus/pci/drivers/${driver}/bind`, DEV);
  },
});

/** Every schedule of a task run, by re-running from scratch: the outcomes, one per complete schedule. */
function everySchedule<T>(run: (choose: Chooser) => T): { schedule: string[]; outcome: T }[] {
  const out: { schedule: string[]; outcome: T }[] = [];
  const stack: string[][] = [[]];
  while (stack.length > 0) {
    const prefix = stack.pop()!;
    const taken: string[] = [];
    const outcome = run((p: SwitchPoint) => {
      const i = taken.length;
      const pick = i < prefix.length ? prefix[i]! : p.enabled[0]!;
      if (i >= prefix.length) for (const alt of p.enabled.slice(1)) stack.push([...taken, alt]);
      taken.push(pick);
      return pick;
    });
    out.push({ schedule: taken, outcome });
  }
  return out;
}

describe('kernel.runTasks()', () => {
  it('runs each task to its end and gives each its result; by default nobody is preempted', () => {
    const k = machine();
    const r = k.runTasks([bindTo('a', 'ixgbe'), bindTo('b', 'ixgbe-alt')]);
    expect(r.results).toEqual({ a: DEV.length, b: -ENODEV });
    expect(r.aborted).toBe(false);
    expect(r.transitions.every((t) => t.task === 'a' || t.task === 'b' || t.task === 'kworker/0:1')).toBe(true);
    expect(k.device(DEV)!.driver?.name).toBe('ixgbe');
  });

  it('two lanes binding one device to two drivers: on 6.12 exactly one wins under every schedule', () => {
    const runs = everySchedule((choose) => {
      const k = machine({ profile: 'v6.12' });
      const r = k.runTasks([bindTo('a', 'ixgbe'), bindTo('b', 'ixgbe-alt')], { choose });
      const dev = k.device(DEV)!;
      return { a: r.results.a, b: r.results.b, driver: dev.driver?.name ?? null };
    });
    expect(runs.length).toBeGreaterThan(2);
    for (const { outcome } of runs) {
      const wins = [outcome.a, outcome.b].filter((x) => x === DEV.length);
      expect(wins).toHaveLength(1);
      expect([outcome.a, outcome.b]).toContain(-EBUSY);
      expect(outcome.driver).toBe(outcome.a === DEV.length ? 'ixgbe' : 'ixgbe-alt');
    }
  });

  it('v4.12 checks dev->driver before the lock: a schedule lets the second bind through, which undoes the first', () => {
    const runs = everySchedule((choose) => {
      const k = machine({ profile: 'v4.12' });
      const r = k.runTasks([bindTo('a', 'ixgbe'), bindTo('b', 'ixgbe-alt')], { choose });
      const dev = k.device(DEV)!;
      const listed = k.driver('ixgbe', 'pci')!.devices().length + k.driver('ixgbe-alt', 'pci')!.devices().length;
      return {
        results: [r.results.a, r.results.b],
        driver: dev.driver?.name ?? null,
        listed,
        duplicate: k.dmesg.lines({ timestamps: false }).some((l) => l.includes('cannot create duplicate filename')),
      };
    });
    // Some schedules serialise the two (one wins, the other finds dev->driver set: -ENODEV) ...
    expect(runs.some((r) => r.outcome.driver !== null && !r.outcome.duplicate)).toBe(true);
    // ... and one interleaves them: both pass the check, the second's driver_sysfs_add() finds the link (-EEXIST),
    // its probe_failed path clears dev->driver and removes the first bind's link: the device stays on a driver's
    // list with no driver.
    const racy = runs.filter((r) => r.outcome.duplicate);
    expect(racy.length).toBeGreaterThan(0);
    for (const r of racy) {
      expect(r.outcome.driver).toBeNull();
      expect(r.outcome.listed).toBe(1);
      expect(r.outcome.results).toContain(-ENODEV);
    }
  });

  it('a task blocks on a device lock another task holds while its probe sleeps, and runs once it is released', () => {
    let probes = 0;
    const k = createKernel();
    k.addDevice(NIC);
    const kernel = k;
    k.registerDriver({
      name: 'slow',
      bus: 'pci',
      ids: [{ vendor: 0x8086, device: 0x10fb }],
      probe: () => {
        probes++;
        return (function* () {
          yield* kernel.msleep(50);
          return 0;
        })();
      },
    });
    expect(k.device(DEV)!.driver?.name).toBe('slow');
    k.sysfs.write('/sys/bus/pci/drivers/slow/unbind', DEV);
    const r = k.runTasks(
      [
        bindTo('a', 'slow'),
        {
          name: 'b',
          *run(sys) {
            return yield* sys.write('/sys/bus/pci/drivers/slow/unbind', DEV);
          },
        },
      ],
      {
        // a runs until it sleeps in the probe (holding the lock), then b, which must wait for the lock.
        choose: (p) => (p.enabled.includes('a') ? 'a' : p.enabled[0]!),
      },
    );
    expect(probes).toBe(2);
    // Every step that runs inside the kernel records it (the explorer's dependence): a's step that resumes in its
    // sleeping probe too, though it calls nothing; only a task's start, up to its first system call, touches nothing.
    const idle = r.transitions.filter((t) => t.footprint !== null && t.footprint.length === 0).map((t) => t.task);
    expect(idle).toEqual(['a', 'b', 'kworker/0:1']);
    const firsts = new Set<string>();
    for (const t of r.transitions) {
      if (!firsts.has(t.task)) firsts.add(t.task);
      else expect(t.footprint, `a later step of ${t.task}`).toEqual(['kernel']);
    }
    expect(r.results.a).toBe(DEV.length);
    expect(r.results.b).toBe(DEV.length);
    expect(k.device(DEV)!.driver).toBeNull();
    expect(k.now()).toBeGreaterThanOrEqual(50_000_000);
  });

  it('a cycle of waits is a hung-task report naming who holds what; the blocked operations end with -EDEADLK', () => {
    const k = createKernel();
    k.addDevice(NIC);
    const released = false;
    const kernel = k;
    k.registerDriver({
      name: 'waiter',
      bus: 'pci',
      ids: [{ vendor: 0x8086, device: 0x10fb }],
      probe: 'ok',
      remove: () =>
        (function* () {
          yield* kernel.waitEvent('a release that never comes', () => released);
        })(),
    });
    const r = k.runTasks([
      {
        name: 'a',
        *run(sys) {
          return yield* sys.write('/sys/bus/pci/drivers/waiter/unbind', DEV);
        },
      },
      {
        name: 'b',
        *run(sys) {
          return yield* sys.write('/sys/bus/pci/drivers/waiter/unbind', DEV);
        },
      },
    ]);
    expect(r.hung).toEqual(['a', 'b']);
    expect(r.results).toEqual({ a: -EDEADLK, b: -EDEADLK });
    const log = k.dmesg.lines({ timestamps: false }).join('\n');
    expect(log).toMatch(/INFO: task a:\d+ blocked for more than 120 seconds\./);
    expect(log).toContain('waits for a release that never comes');
    expect(log).toMatch(/waits for device_lock\(0000:01:00\.0\), held by a:\d+/);
    expect(log).toMatch(/1 lock held by a\/\d+:\n #0: \(device_lock\(0000:01:00\.0\)\)/);
    expect(released).toBe(false);
    // The kernel goes on: the locks were released as the operations unwound.
    expect(k.sysfs.write('/sys/bus/pci/drivers_probe', DEV)).toBe(DEV.length);
  });

  it('is deterministic: the same chooser gives the same transitions and the same log', () => {
    const once = () => {
      const k = machine({ profile: 'v4.12' });
      let n = 0;
      const r = k.runTasks([bindTo('a', 'ixgbe'), bindTo('b', 'ixgbe-alt')], {
        choose: (p) => p.enabled[n++ % p.enabled.length]!,
      });
      return { t: r.transitions, log: k.dmesg.lines() };
    };
    expect(once()).toEqual(once());
  });

  it('refuses tasks of the wrong form, and a chooser that picks a task that cannot run', () => {
    const k = machine();
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as SimError).code;
      }
      return null;
    };
    expect(code(() => k.runTasks([]))).toBe('SIM_ERR_TASK_BAD_SPEC');
    expect(code(() => k.runTasks([bindTo('a', 'ixgbe'), bindTo('a', 'ixgbe')]))).toBe('SIM_ERR_TASK_BAD_SPEC');
    expect(code(() => k.runTasks([{ name: 'x', run: (() => 1) as never }]))).toBe('SIM_ERR_TASK_BAD_SPEC');
    // a body that yields something of its own: the kernel refuses it (the run is abandoned with it)
    const k2 = machine();
    expect(
      code(() =>
        k2.runTasks([
          {
            name: 'x',
            *run() {
              yield 5;
            },
          },
        ]),
      ),
    ).toBe('SIM_ERR_TASK_BAD_SPEC');
    const k3 = machine();
    expect(code(() => k3.runTasks([bindTo('a', 'ixgbe'), bindTo('b', 'ixgbe-alt')], { choose: () => 'zz' }))).toBe(
      'SIM_ERR_TASK_BAD_SPEC',
    );
    // An abandoned run leaves operations half done: the kernel refuses what comes next, and says why.
    expect(code(() => k3.sysfs.write('/sys/bus/pci/drivers_probe', DEV))).toBe('SIM_ERR_KERNEL_ABANDONED');
    expect(k3.device(DEV)).toBeDefined();
  });

  it('a chooser giving up (null) abandons the run', () => {
    const k = machine();
    const r = k.runTasks([bindTo('a', 'ixgbe')], { choose: () => null });
    expect(r.aborted).toBe(true);
    expect(() => k.sysfs.write('/sys/bus/pci/drivers_probe', DEV)).toThrow(/abandoned/);
  });
});
