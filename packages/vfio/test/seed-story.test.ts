import { readFileSync, writeFileSync } from 'node:fs';
import { KERN_INFO } from '@sim/core';
import { findIommuGroup } from '@sim/iommu-group';
import {
  runStory,
  SEED_PROFILES,
  type StoryRun,
  seedStory,
  seedStoryExpected,
  seedStoryNoContainer,
  seedStoryPciStub,
  VFIO_BUG_WHERE,
  vfioGroupOf,
} from '@sim/vfio';
import { describe, expect, it } from 'vitest';
import { AUDIO } from './helpers.ts';

/**
 * The seed story's full trace under each profile is kept in test/fixtures/seed-story.<profile>.txt. It was generated
 * once and then checked line by line against drivers/base/dd.c, drivers/iommu/iommu.c and drivers/vfio/vfio.c of
 * v4.12 (see the review notes in docs/decisions/2026-11-26-seed-story-fixtures.md). `UPDATE_FIXTURES=1` rewrites
 * them; review the diff before committing it.
 */
function fixture(profile: string): URL {
  return new URL(`./fixtures/seed-story.${profile}.txt`, import.meta.url);
}

const runs = new Map<string, StoryRun>(SEED_PROFILES.map((p) => [p, runStory(seedStory, { profile: p })]));

describe.each(SEED_PROFILES)('the seed story under %s', (profile) => {
  const run = runs.get(profile)!;
  const expected = seedStoryExpected[profile];

  it('prints exactly the event sequence of its fixture', () => {
    const file = fixture(profile);
    if (process.env.UPDATE_FIXTURES === '1') writeFileSync(file, run.text);
    expect(run.text).toBe(readFileSync(file, 'utf8'));
  });

  it('ends as the issue says', () => {
    const last = run.results.at(-1)!;
    expect(last.step.line).toBe(expected.lastStep);
    expect(last.ret).toBe(expected.lastResult);
    expect(run.kernel.oops?.where ?? null).toBe(expected.oops);
    expect(run.kernel.device(AUDIO)!.driver?.name ?? null).toBe(expected.audioDriver);
    const probes = run.events.filter((e) => e.type === 'probe' && e.driver === 'snd_hda_intel');
    expect(probes.length > 0).toBe(expected.audioProbeRan);
  });

  it('gives both functions to vfio-pci and the group to userspace on the way', () => {
    const byLine = new Map(run.results.map((r) => [r.step.line, r]));
    expect(byLine.get('container = open /dev/vfio/vfio')?.ret).toBe(3);
    expect(byLine.get('group = open /dev/vfio/1')?.ret).toBe(4);
    expect(byLine.get('ioctl group VFIO_GROUP_SET_CONTAINER container')?.ret).toBe(0);
    expect(byLine.get('gpu = ioctl group VFIO_GROUP_GET_DEVICE_FD 0000:01:00.0')?.ret).toBe(5);
    expect(run.results.find((r) => r.step.line === 'ioctl group VFIO_GROUP_GET_STATUS')?.flags).toBe(3);
  });
});

describe('the seed story, profile by profile', () => {
  const lastStepEvents = (p: string) =>
    runs.get(p)!.results.find((r) => r.step.line === seedStoryExpected['v4.12'].lastStep)!.events;
  const dmesg = (p: string) =>
    lastStepEvents(p)
      .filter((e) => e.type === 'dmesg' && e.level <= KERN_INFO)
      .map((e) => (e as { text: string }).text);

  it('v4.12: the probe runs, then vfio BUGs on BOUND_DRIVER; no JS exception escapes', () => {
    const events = lastStepEvents('v4.12');
    const probe = events.findIndex((e) => e.type === 'probe' && e.driver === 'snd_hda_intel');
    const oops = events.findIndex((e) => e.type === 'oops');
    expect(probe).toBeGreaterThan(-1);
    expect(oops).toBeGreaterThan(probe);
    expect(events[oops]).toMatchObject({ where: VFIO_BUG_WHERE, message: `kernel BUG at ${VFIO_BUG_WHERE}!` });
  });

  it('v4.12+bind-veto: still the BUG; the dd.c change alone has nothing to honour (vfio answers NOTIFY_OK)', () => {
    const events = lastStepEvents('v4.12+bind-veto');
    const outcome = events.find((e) => e.type === 'chain.outcome' && e.caller === 'driver_sysfs_add');
    expect(outcome).toMatchObject({ ret: 0, outcome: 'ignored' });
    expect(runs.get('v4.12+bind-veto')!.kernel.oops?.where).toBe(VFIO_BUG_WHERE);
  });

  it('rfc-2017: driver_sysfs_add refuses inside the kernel, the write gets -ENODEV, the group stays viable', () => {
    const run = runs.get('rfc-2017')!;
    expect(dmesg('rfc-2017')).toEqual([
      `really_probe: driver_sysfs_add(${AUDIO}) failed`,
      `snd_hda_intel: probe of ${AUDIO} failed with error 0`,
    ]);
    const events = lastStepEvents('rfc-2017');
    expect(events.find((e) => e.type === 'chain.outcome' && e.caller === 'driver_sysfs_add')).toMatchObject({
      ret: 0x8002,
      outcome: 'honoured',
    });
    expect(events.find((e) => e.type === 'chain.outcome' && e.caller === 'iommu_bus_notifier')).toMatchObject({
      ret: 0x8002,
      outcome: 'propagated',
    });
    expect(events.some((e) => e.type === 'chain.call' && e.actionName === 'BUS_NOTIFY_DRIVER_NOT_BOUND')).toBe(true);
    expect(events.some((e) => e.type === 'chain.call' && e.actionName === 'BUS_NOTIFY_BOUND_DRIVER')).toBe(false);
    expect(run.results.find((r) => r.step.line === seedStoryExpected['v4.12'].lastStep)?.ret).toBe(-19);
    expect(run.results.at(-1)?.flags).toBe(3);
    expect(vfioGroupOf(run.kernel, findIommuGroup(run.kernel, 1)!)?.containerUsers).toBe(2);
    expect(run.kernel.sysfs.exists(`/sys/bus/pci/devices/${AUDIO}/driver`)).toBe(false);
  });

  it('takes the same steps with the same results up to its last bind under every profile', () => {
    const upTo = (p: string) => {
      const results = runs.get(p)!.results;
      const last = results.findIndex((r) => r.step.line === seedStoryExpected['v4.12'].lastStep);
      return results.slice(0, last).map((r) => [r.step.line, r.ret, r.flags]);
    };
    expect(upTo('v4.12').length).toBe(13);
    expect(upTo('v4.12+bind-veto')).toEqual(upTo('v4.12'));
    expect(upTo('rfc-2017')).toEqual(upTo('v4.12'));
  });
});

describe('the seed story variants, in every profile', () => {
  it.each(SEED_PROFILES)('%s: pci-stub, the whitelisted driver, binds into the live group', (profile) => {
    const run = runStory(seedStoryPciStub, { profile });
    expect(run.kernel.oops).toBeNull();
    expect(run.results.find((r) => r.step.line.includes('pci-stub/bind'))?.ret).toBe(13);
    expect(run.kernel.device(AUDIO)!.driver?.name).toBe('pci-stub');
    expect(run.results.at(-1)?.flags).toBe(3);
  });

  it.each(SEED_PROFILES)('%s: with no container set, the host driver binds', (profile) => {
    const run = runStory(seedStoryNoContainer, { profile });
    expect(run.kernel.oops).toBeNull();
    expect(run.results.find((r) => r.step.line.includes('snd_hda_intel/bind'))?.ret).toBe(13);
    expect(run.kernel.device(AUDIO)!.driver?.name).toBe('snd_hda_intel');
    expect(run.results.at(-1)?.flags).toBe(0); // not viable, no container
  });
});

describe('runStory misuse', () => {
  it('SIM_ERR_VFIO_BAD_ARGUMENT for something that is not a story, or a step using an fd no step opened', () => {
    expect(() => runStory({} as never)).toThrow(/SIM_ERR_VFIO_BAD_ARGUMENT/);
    const bad = { ...seedStory, steps: [{ op: 'close' as const, fd: 'group', line: 'close group' }] };
    expect(() => runStory(bad)).toThrow(/uses fd 'group', which no earlier step opened/);
  });
});
