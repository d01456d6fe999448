import { readFileSync } from 'node:fs';
import { createKernel, type Kernel, SimError } from '@sim/core';
import { iommuGroupPlugin } from '@sim/iommu-group';
import {
  bindOutcome,
  explainGroup,
  runStory,
  seedStory,
  VFIO_GROUP_GET_DEVICE_FD,
  VFIO_GROUP_GET_STATUS,
  vfioPlugin,
} from '@sim/vfio';
import { describe, expect, it } from 'vitest';
import { AUDIO, bothToVfio, GPU, give, goLive, ROOT_PORT, seedKernel, unbind, write } from './helpers.ts';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (SimError.isInstance(e)) return e.code;
    throw e;
  }
  return 'no error';
}

const verdicts = (k: Kernel, group = 1) =>
  Object.fromEntries(
    explainGroup(k, group).devices.map((d) => [d.device, `${d.state}${d.viable ? '' : ' (NOT viable)'}`]),
  );

describe('explainGroup: each device and why', () => {
  it('at boot: a bridge, and two devices on host drivers; no vfio group yet', () => {
    const k = seedKernel();
    const e = explainGroup(k, 1);
    expect(verdicts(k)).toEqual({
      [ROOT_PORT]: 'bridge',
      [GPU]: 'unbound',
      [AUDIO]: 'host-driver (NOT viable)',
    });
    expect(e.vfio).toBeNull();
    expect(e.live).toBe(false);
    expect(e.viable).toBe(false);
    expect(e.devices.find((d) => d.device === AUDIO)).toMatchObject({
      driver: 'snd_hda_intel',
      reason: 'bound to host driver snd_hda_intel',
      fix: `echo ${AUDIO} > /sys/bus/pci/drivers/snd_hda_intel/unbind, then give it to vfio-pci (echo vfio-pci > /sys/bus/pci/devices/${AUDIO}/driver_override; echo ${AUDIO} > /sys/bus/pci/drivers_probe) or to pci-stub`,
    });
    expect(e.notes[0]).toMatch(/vfio registers its notifier on an IOMMU group only when a vfio driver first takes/);
  });

  it('names vfio devices, whitelisted drivers and the unbound list', () => {
    const k = seedKernel();
    give(k, GPU, 'vfio-pci');
    give(k, AUDIO, 'pci-stub');
    expect(verdicts(k)).toEqual({ [ROOT_PORT]: 'bridge', [GPU]: 'vfio-driver', [AUDIO]: 'whitelisted' });
    give(k, AUDIO, 'vfio-pci');
    const { group } = goLive(k);
    const fd = k.dev.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, AUDIO)!;
    unbind(k, AUDIO);
    const e = explainGroup(k, 1);
    expect(e.devices.find((d) => d.device === AUDIO)).toMatchObject({ state: 'unbound-list', viable: true });
    expect(e.devices.find((d) => d.device === AUDIO)!.reason).toMatch(/waits in vfio_del_group_dev\(\)/);
    expect(e.vfio).toEqual({
      node: '/dev/vfio/1',
      opened: true,
      containerSet: true,
      containerUsers: 2,
      deviceFds: [fd],
      iommuBackend: 'vfio_iommu_type1',
    });
  });

  it("agrees with VFIO_GROUP_GET_STATUS's VIABLE flag", () => {
    const k = seedKernel();
    give(k, GPU, 'vfio-pci');
    const fd = k.dev.open('/dev/vfio/1')!;
    for (const step of [
      () => give(k, AUDIO, 'vfio-pci'),
      () => give(k, AUDIO, 'snd_hda_intel'),
      () => unbind(k, AUDIO),
    ]) {
      step();
      const status = { flags: 0 };
      k.dev.ioctl(fd, VFIO_GROUP_GET_STATUS, status);
      expect(explainGroup(k, 1).viable).toBe((status.flags & 1) === 1);
    }
  });
});

describe('explainGroup: binds that would break isolation', () => {
  it('lists the host driver that matches, how it would bind, and what each profile does now', () => {
    const k = seedKernel('rfc-2017');
    bothToVfio(k);
    goLive(k);
    unbind(k, AUDIO);
    const risks = explainGroup(k, 1).risks;
    expect(risks.map((r) => `${r.device} -> ${r.driver}`)).toEqual([`${AUDIO} -> snd_hda_intel`]);
    expect(risks[0]).toMatchObject({
      match: 'its id table entry 10de:10f0',
      breaksIsolationNow: true,
    });
    // driver_override is still 'vfio-pci': it has to be cleared first.
    expect(risks[0]!.how).toMatch(/^once its driver_override \('vfio-pci'\) is cleared: echo 0000:01:00.1 >/);
    expect(risks[0]!.outcomes.map((o) => [o.profile, o.result, o.current])).toEqual([
      ['v4.12', 'bug', false],
      ['v4.12+bind-veto', 'bug', false],
      ['rfc-2017', 'refused', true],
      ['v6.12', 'refused', false],
    ]);
  });

  it('for a device on vfio-pci, the unbind comes first; nothing would break isolation in an idle group', () => {
    const k = seedKernel();
    bothToVfio(k);
    const e = explainGroup(k, 1);
    expect(e.risks[0]!.how).toMatch(/^once it is unbound from vfio-pci and its driver_override/);
    expect(e.risks[0]!.breaksIsolationNow).toBe(false);
    expect(new Set(e.risks[0]!.outcomes.map((o) => o.result))).toEqual(new Set(['bound']));
    expect(e.text).toContain('binds that would break isolation once the group is live:');
  });

  it('a driver named by driver_override matches whatever its id table', () => {
    const k = seedKernel();
    bothToVfio(k);
    goLive(k);
    k.registerDriver({ name: 'nouveau', bus: 'pci', ids: [] });
    unbind(k, GPU);
    write(k, `/sys/bus/pci/devices/${GPU}/driver_override`, 'nouveau\n');
    const risk = explainGroup(k, 1).risks.find((r) => r.device === GPU);
    expect(risk).toMatchObject({ driver: 'nouveau', match: "driver_override is 'nouveau'" });
  });

  it('says what each flag combination lacks', () => {
    expect(bindOutcome([], true, 'd', 'x').text).toMatch(/vfio does not object at BIND_DRIVER/);
    expect(bindOutcome(['vetoBind'], true, 'd', 'x').text).toMatch(/dropped by iommu_bus_notifier \(no percolate\)/);
    expect(bindOutcome(['vetoBind', 'percolate'], true, 'd', 'x').text).toMatch(/driver_sysfs_add\(\) ignores it/);
    expect(bindOutcome(['vetoBind', 'percolate', 'stopBindOnNotifyBad'], true, 'd', 'x').result).toBe('refused');
    expect(bindOutcome(['vetoBind', 'percolate', 'stopBindOnNotifyBad'], false, 'd', 'x').result).toBe('bound');
  });
});

describe('explainGroup: notes and text', () => {
  it('warns about a live group that is not viable (v4.12 lets SET_CONTAINER through)', () => {
    const k = seedKernel();
    give(k, GPU, 'vfio-pci');
    goLive(k);
    const e = explainGroup(k, 1);
    expect(e.live && !e.viable).toBe(true);
    expect(e.notes.join('\n')).toMatch(
      /live but not viable: v4.12 does not check viability at VFIO_GROUP_SET_CONTAINER/,
    );
  });

  it('says that an open group with no container arms nothing', () => {
    const k = seedKernel();
    bothToVfio(k);
    k.dev.open('/dev/vfio/1');
    expect(explainGroup(k, 1).notes).toContain(
      '/dev/vfio/1 is open but no container is set: opening alone arms nothing',
    );
  });

  it('renders the seed story after its BUG', () => {
    const run = runStory(seedStory, { profile: 'v4.12' });
    const text = explainGroup(run.kernel, 1).text;
    expect(text).toContain('IOMMU group 1 (/sys/kernel/iommu_groups/1), profile v4.12');
    expect(text).toContain('live: yes');
    expect(text).toContain('viable: no');
    expect(text).toMatch(/0000:01:00\.1 {2}snd_hda_intel {2}NOT viable {2}bound to host driver snd_hda_intel/);
    expect(text).toContain('the kernel died: kernel BUG at drivers/vfio/vfio.c:733!');
  });

  it.each(['rfc-2017', 'v6.12'])('renders the seed story under %s as the README shows it', (profile) => {
    const run = runStory(seedStory, { profile });
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const text = explainGroup(run.kernel, 1).text;
    expect(text.split('\n').length).toBeGreaterThan(15);
    expect(readme).toContain(`\`\`\`text\n${text}\`\`\``);
  });
});

describe('explainGroup: misuse', () => {
  it('SIM_ERR_VFIO_UNKNOWN_GROUP for a group the kernel does not have, naming the ones it has', () => {
    const k = seedKernel();
    expect(code(() => explainGroup(k, 7))).toBe('SIM_ERR_VFIO_UNKNOWN_GROUP');
    expect(() => explainGroup(k, 7)).toThrow(/there is no IOMMU group 7; the groups are 0, 1/);
  });

  it('SIM_ERR_VFIO_BAD_ARGUMENT for a group that is not an id; SIM_ERR_VFIO_NOT_IN_USE without vfio', () => {
    const k = seedKernel();
    expect(code(() => explainGroup(k, -1))).toBe('SIM_ERR_VFIO_BAD_ARGUMENT');
    expect(code(() => explainGroup(k, '1' as never))).toBe('SIM_ERR_VFIO_BAD_ARGUMENT');
    expect(code(() => explainGroup(createKernel({ plugins: [iommuGroupPlugin()] }), 0))).toBe(
      'SIM_ERR_VFIO_NOT_IN_USE',
    );
    expect(code(() => explainGroup(createKernel({ plugins: [iommuGroupPlugin(), vfioPlugin()] }), 0))).toBe(
      'SIM_ERR_VFIO_UNKNOWN_GROUP',
    );
  });
});
