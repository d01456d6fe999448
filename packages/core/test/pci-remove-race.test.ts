import { type Chooser, createKernel, ENOENT, type SwitchPoint } from '@sim/core';
import { describe, expect, it } from 'vitest';

const DEV = '0000:02:00.0';
const REMOVE = `/sys/bus/pci/devices/${DEV}/remove`;

/** Every schedule of a task run, by re-running from scratch. */
function everySchedule<T>(run: (choose: Chooser) => T): T[] {
  const out: T[] = [];
  const stack: string[][] = [[]];
  while (stack.length > 0) {
    const prefix = stack.pop()!;
    const taken: string[] = [];
    out.push(
      run((p: SwitchPoint) => {
        const i = taken.length;
        const pick = i < prefix.length ? prefix[i]! : p.enabled[0]!;
        if (i >= prefix.length) for (const alt of p.enabled.slice(1)) stack.push([...taken, alt]);
        taken.push(pick);
        return pick;
      }),
    );
  }
  return out;
}

describe("two writers of one PCI function's remove file (remove_store(), device_remove_file_self())", () => {
  it('only the first removes it; a rescan in between finds a function the late writer leaves alone', () => {
    // Found by the reliability suite's two-lane family: the late writer went on removing the old function after
    // the other lane's rescan had added it again, and took the new function's driver link away.
    const runs = everySchedule((choose) => {
      const k = createKernel();
      k.addDevice({ bus: 'pci', address: DEV, vendor: 0x8086, device: 0x10fb, class: 0x020000 });
      k.registerDriver({ name: 'ixgbe', bus: 'pci', ids: [{ vendor: 0x8086, device: 0x10fb }], probe: 'ok' });
      const r = k.runTasks(
        [
          {
            name: 'a',
            *run(sys) {
              return [yield* sys.write(REMOVE, '1'), yield* sys.write('/sys/bus/pci/rescan', '1')];
            },
          },
          {
            name: 'b',
            *run(sys) {
              return yield* sys.write(REMOVE, '1');
            },
          },
        ],
        { choose },
      );
      const dev = k.device(DEV);
      return {
        results: r.results,
        present: dev !== undefined,
        driver: dev?.driver?.name ?? null,
        linked: k.sysfs.exists(`/sys/bus/pci/devices/${DEV}/driver`),
        listed: k.driver('ixgbe', 'pci')!.devices().length,
      };
    });
    expect(runs.length).toBeGreaterThan(3);
    for (const run of runs) {
      // Each remove write returns the count, or -ENOENT when it came while the function was away; the rescan the
      // count. The function is either there, bound with its links (the writers overlapped, or b came first), or
      // gone (b removed the rescanned one).
      const [remove, rescan] = run.results.a as number[];
      expect([1, -ENOENT]).toContain(remove);
      expect([1, -ENOENT]).toContain(run.results.b);
      expect(rescan).toBe(1);
      if (run.present) expect(run).toMatchObject({ driver: 'ixgbe', linked: true, listed: 1 });
      else expect(run).toMatchObject({ driver: null, linked: false, listed: 0 });
    }
    expect(runs.some((r) => r.present)).toBe(true);
    expect(runs.some((r) => !r.present)).toBe(true);
  });
});
