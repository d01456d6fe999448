/**
 * The two-lane family: a short single-lane prefix (any operation, made directly), then two userspace tasks making
 * system calls from the sequences' vocabulary, interleaved by a random schedule (kernel.runTasks()), then the
 * sequences' invariants on the state the run leaves. See docs/decisions/2026-12-02-two-lane-family.md.
 */
import { type Chooser, createKernel, type Kernel, runToBlock, type TaskRunReport, type TaskSpec } from '@sim/core';
import { VFIO_BUG_WHERE } from '@sim/vfio';
import fc from 'fast-check';
import { expect } from 'vitest';
import { BIND_STORE_RACE, bindStoreRaceVictims, hasRace, inBindStoreRaceShape } from '../src/known-races.ts';
import { hostBound, ownershipBreaches, type World } from '../src/worlds.ts';
import { apply, applyWith, checkBindPath, groupsInUse, type Op, ops } from './ops.ts';

/** One case of the family. */
export interface LaneCase {
  readonly profile: string;
  /** Made before the lanes start, outside a task run (any operation: add, register, inject, ...). */
  readonly prefix: readonly Op[];
  /** The two lanes' operations (system calls only). */
  readonly lanes: readonly [readonly Op[], readonly Op[]];
  /**
   * The schedule: at the i-th switch point the task `enabled[schedule[i] % enabled.length]` runs (the lanes, then
   * the deferred-probe worker when it has work); past its end, nobody is preempted (runToBlock). Shrinking makes it
   * shorter and its numbers 0: toward the first lane running first and alone.
   */
  readonly schedule: readonly number[];
}

/** The lanes' names (their comm in dmesg). */
export const LANES = ['lane0', 'lane1'] as const;

/** Cases on world `w`, under `profiles` (default: the world's). */
export function laneCases(w: World, profiles: readonly string[] = w.profiles): fc.Arbitrary<LaneCase> {
  const lane = fc.array(ops(w, true), { minLength: 1, maxLength: 6 });
  return fc.record({
    profile: fc.constantFrom(...profiles),
    prefix: fc.array(ops(w), { maxLength: 5 }),
    lanes: fc.tuple(lane, lane),
    schedule: fc.array(fc.nat(5), { maxLength: 60 }),
  });
}

/** A seeded chooser: follows the schedule, then runs without preemption. */
export function scheduleChooser(schedule: readonly number[]): Chooser {
  let i = 0;
  return (p) => {
    const n = schedule[i++];
    return n === undefined ? runToBlock(p) : p.enabled[n % p.enabled.length]!;
  };
}

/** An isolation breach: the device and what was wrong. */
export interface Breach {
  readonly device: string;
  readonly what: string;
}

/** What a case did: the kernel after it, the run's report (null: the prefix oopsed), the isolation breaches seen. */
export interface LaneRun {
  readonly k: Kernel;
  readonly report: TaskRunReport | null;
  /** v4.12's isolation breaches, seen at the switch points and at the end (see isolationWatch()). */
  readonly breaches: readonly Breach[];
}

/** Boots world `w` as the sequences do, makes the prefix, runs the lanes. */
export function runLaneCase(w: World, c: LaneCase): LaneRun {
  const k = createKernel(w.options(c.profile));
  for (const d of w.devices) k.addDevice(d);
  for (const d of w.drivers.slice(0, 3)) k.registerDriver(d);
  for (const o of c.prefix) {
    apply(k, w, o);
    if (k.oops !== null) return { k, report: null, breaches: [] };
  }
  const task = (name: string, seq: readonly Op[]): TaskSpec => ({
    name,
    *run(sys) {
      const rets: (number | null)[] = [];
      for (const o of seq) rets.push(...(yield* applyWith(k, w, o, sys, true)));
      return rets;
    },
  });
  const watch = isolationWatch(k, w);
  const follow = scheduleChooser(c.schedule);
  const report = k.runTasks([task(LANES[0], c.lanes[0]), task(LANES[1], c.lanes[1])], {
    choose: (p) => {
      watch.look();
      return follow(p);
    },
  });
  if (k.oops === null) watch.look();
  return { k, report, breaches: watch.breaches };
}

/**
 * The sequences' v4.12 isolation invariant, at the grain of a task run: between two looks (consecutive switch
 * points: one transition of one task), no device becomes host-bound in a group that was live (a container set) at
 * either look, and at no look is a device host-bound in a group userspace holds a device fd of. v4.12 stops both
 * with its BUG_ON (the kernel dies in that transition, and nobody looks again); a look that sees one is a silent
 * breach. Only where vfio hears of binds (World.isolation) and on base 4.12 (6.12: ownershipBreaches()).
 */
function isolationWatch(k: Kernel, w: World): { look(): void; readonly breaches: Breach[] } {
  const breaches: Breach[] = [];
  const on = w.isolation && k.version.base === '4.12';
  let host = new Set<string>();
  let live = new Set<number>();
  let first = true;
  return {
    breaches,
    look() {
      if (!on) return;
      const now = groupsInUse(k, w);
      const hostNow = new Set<string>();
      for (const d of k.devices()) {
        if (!hostBound(k, d.name) || d.iommuGroup === null) continue;
        hostNow.add(d.name);
        const id = d.iommuGroup.id;
        if (now.inUse.has(id)) breaches.push({ device: d.name, what: `${d.name} host-bound in group ${id} in use` });
        if (!first && !host.has(d.name) && (live.has(id) || now.live.has(id)))
          breaches.push({ device: d.name, what: `${d.name} bound into live group ${id}` });
      }
      host = hostNow;
      live = now.live;
      first = false;
    },
  };
}

/** What the checks saw, for the family's counters. */
export interface LaneVerdict {
  readonly oops: boolean;
  /** Devices left by v4.12's bind_store() race (exempt from the bind-path check). */
  readonly raced: ReadonlySet<string>;
  readonly hung: number;
}

/**
 * The sequences' invariants on a finished run: the run ends (not abandoned; every lane finished unless the kernel
 * died), a death is only v4.12's vfio BUG_ON, the bind path is consistent (but for devices the known bind_store()
 * race left, unless `strict`), no DMA-ownership breach (6.12), and no v4.12 isolation breach at any switch point
 * (isolationWatch()).
 */
export function checkLaneRun(w: World, c: LaneCase, run: LaneRun, strict = false): LaneVerdict {
  const { k, report } = run;
  // The devices a late bind reached, left in one of the race's shapes: only where the kernel has the race, where they
  // are exempt unless strict.
  const victims = new Set([...bindStoreRaceVictims(k)].filter((name) => inBindStoreRaceShape(k, name)));
  if (!hasRace(k, BIND_STORE_RACE)) expect([...victims], 'the bind_store() race without the race').toEqual([]);
  const raced = strict ? new Set<string>() : victims;
  if (report !== null) expect(report.aborted, 'the run was abandoned').toBe(false);
  // A device the race reached is exempt from isolation too: driver_bound() returned before BOUND_DRIVER, so vfio
  // never heard of its host driver (no BUG_ON).
  const breaches = run.breaches.filter((b) => !raced.has(b.device)).map((b) => b.what);
  expect(breaches, 'v4.12 isolation').toEqual([]);
  if (k.oops !== null) {
    expect(c.profile, `${k.oops.message} under v6.12`).not.toBe('v6.12');
    expect(k.oops.where, k.oops.message).toBe(VFIO_BUG_WHERE);
    expect(c.profile === 'rfc-2017' && k.inject.list().length === 0, 'rfc-2017 never BUGs').toBe(false);
    return { oops: true, raced, hung: 0 };
  }
  for (const name of LANES) expect(Array.isArray(report!.results[name]), `${name} did not finish`).toBe(true);
  checkBindPath(k, groupsInUse(k, w).unbinding, raced);
  expect(ownershipBreaches(k)).toEqual([]);
  return { oops: false, raced, hung: report!.hung.length };
}
