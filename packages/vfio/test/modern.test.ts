import { createKernel, EBUSY, EDEADLK, EINVAL, ENODEV, EPERM, SimError, type TraceEvent } from '@sim/core';
import { findIommuGroup, iommuGroupPlugin } from '@sim/iommu-group';
import {
  buildStoryKernel,
  explainGroup,
  seedStory,
  VFIO_GROUP_GET_DEVICE_FD,
  VFIO_GROUP_GET_STATUS,
  VFIO_GROUP_SET_CONTAINER,
  VFIO_GROUP_STATUS_SIZE,
  VFIO_GROUP_UNSET_CONTAINER,
  VFIO_SET_IOMMU,
  VFIO_TYPE1_IOMMU,
  vfioGroupOf,
  vfioPlugin,
} from '@sim/vfio';
import { describe, expect, it } from 'vitest';
import { AUDIO, bothToVfio, GPU, give, goLive, infoLines, ROOT_PORT, seedKernel, unbind, write } from './helpers.ts';

// vfio on Linux 6.12 (drivers/vfio/group.c, container.c, vfio_main.c; /work/shared/reference/modern-kernel.md §7-§11).

function status(k: ReturnType<typeof seedKernel>, fd: number): number | string {
  const out = { argsz: VFIO_GROUP_STATUS_SIZE, flags: -1 };
  const ret = k.dev.ioctl(fd, VFIO_GROUP_GET_STATUS, out);
  return ret === 0 ? out.flags : `ret ${ret}`;
}

const group1 = (k: ReturnType<typeof seedKernel>) => findIommuGroup(k, 1)!;

describe('vfio on 6.12: DMA ownership instead of viability', () => {
  it('the seed story ends in -EBUSY from dma_configure(): no bus event, no line, no probe; GET_STATUS stays 0x3', () => {
    const k = seedKernel('v6.12');
    bothToVfio(k);
    const { group } = goLive(k);
    expect(group1(k)).toMatchObject({ ownerCnt: 1, domain: 'unmanaged' });
    expect(group1(k).owner?.name).toBe('/dev/vfio/1');
    expect(k.dev.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, GPU)).toBe(5);
    expect(unbind(k, AUDIO)).toBe(13);
    write(k, `/sys/bus/pci/devices/${AUDIO}/driver_override`, '\n');
    const { events } = k.trace.record();
    const before = infoLines(k).length;
    expect(k.sysfs.write('/sys/bus/pci/drivers/snd_hda_intel/bind', `${AUDIO}\n`)).toBe(-EBUSY);
    expect((events as TraceEvent[]).filter((e) => e.type === 'chain.call')).toEqual([]);
    expect(infoLines(k).length).toBe(before);
    expect(k.driver('snd_hda_intel', 'pci')?.probeCalls).toBe(1); // only its boot-time probe
    expect(status(k, group)).toBe(3);
    expect(k.oops).toBeNull();
    // Nothing of vfio's sits on any chain: there is no BUG_ON to reach.
    expect(
      k
        .bus('pci')
        .notifier.blocks()
        .map((b) => b.name),
    ).toEqual(['iommu_bus_notifier']);
  });

  it('SET_CONTAINER is -EPERM while a host driver holds the group; GET_STATUS says 0 then, 0x1 once it goes', () => {
    const k = seedKernel('v6.12');
    give(k, GPU, 'vfio-pci'); // audio stays on snd_hda_intel
    const container = k.dev.open('/dev/vfio/vfio')!;
    const group = k.dev.open('/dev/vfio/1')!;
    expect(status(k, group)).toBe(0);
    expect(k.dev.ioctl(group, VFIO_GROUP_SET_CONTAINER, container)).toBe(-EPERM);
    expect(group1(k)).toMatchObject({ ownerCnt: 1, owner: null, domain: 'default' });
    expect(k.dev.ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU)).toBe(-EINVAL);
    expect(k.dev.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, GPU)).toBe(-EINVAL);
    expect(unbind(k, AUDIO)).toBe(13);
    expect(group1(k).ownerCnt).toBe(0);
    expect(status(k, group)).toBe(1);
    expect(k.dev.ioctl(group, VFIO_GROUP_SET_CONTAINER, container)).toBe(0);
    expect(group1(k)).toMatchObject({ ownerCnt: 1, domain: 'blocking' });
    // No IOMMU yet: a device fd is -EINVAL; a name that is no vfio device of the group (the root port) -ENODEV.
    expect(k.dev.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, GPU)).toBe(-EINVAL);
    expect(k.dev.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, ROOT_PORT)).toBe(-ENODEV);
    expect(k.dev.ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU)).toBe(0);
    expect(group1(k).domain).toBe('unmanaged');
    expect(k.dev.ioctl(group, VFIO_GROUP_UNSET_CONTAINER)).toBe(0);
    expect(group1(k)).toMatchObject({ ownerCnt: 0, owner: null, domain: 'default' });
  });

  it('the last vfio device takes /dev/vfio/N away and releases ownership even with the group fd open', () => {
    const k = seedKernel('v6.12');
    bothToVfio(k);
    const { group } = goLive(k);
    expect(unbind(k, AUDIO)).toBe(13);
    expect(k.dev.exists('/dev/vfio/1')).toBe(true);
    expect(unbind(k, GPU)).toBe(13);
    expect(k.dev.exists('/dev/vfio/1')).toBe(false);
    expect(group1(k)).toMatchObject({ ownerCnt: 0, owner: null, domain: 'default' });
    expect(status(k, group)).toBe(`ret ${-ENODEV}`);
    expect(k.dev.ioctl(group, VFIO_GROUP_SET_CONTAINER, 3)).toBe(-ENODEV);
    expect(k.dev.ioctl(group, VFIO_GROUP_UNSET_CONTAINER)).toBe(-EINVAL);
    expect(k.dev.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, GPU)).toBe(-ENODEV);
    write(k, `/sys/bus/pci/devices/${AUDIO}/driver_override`, '\n');
    expect(k.sysfs.write('/sys/bus/pci/drivers/snd_hda_intel/bind', AUDIO)).toBe(12);
    expect(k.dev.close(group)).toBe(0);
  });

  it('unbinding a device whose fd is open waits (reported, -EDEADLK); after close the next unbind finishes', () => {
    const k = seedKernel('v6.12');
    bothToVfio(k);
    const { group } = goLive(k);
    const gpu = k.dev.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, GPU)!;
    expect(unbind(k, GPU)).toBe(-EDEADLK);
    expect(infoLines(k)).toContain(
      'vfio-pci 0000:01:00.0: No device request channel registered, blocked until released by user',
    );
    expect(k.device(GPU)!.driver?.name).toBe('vfio-pci');
    // The device left the group's list at once: no new fd for it.
    expect(k.dev.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, GPU)).toBe(-ENODEV);
    expect(k.dev.close(gpu)).toBe(0);
    expect(unbind(k, GPU)).toBe(13);
    expect(k.device(GPU)!.driver).toBeNull();
  });

  it('closing the group fd while a device fd is open keeps the claim until the device fd closes', () => {
    const k = seedKernel('v6.12');
    bothToVfio(k);
    const { group } = goLive(k);
    const gpu = k.dev.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, GPU)!;
    expect(k.dev.close(group)).toBe(0);
    expect(group1(k).ownerCnt).toBe(1);
    expect(k.dev.open('/dev/vfio/1')).toBe(-EBUSY);
    expect(k.dev.close(gpu)).toBe(0);
    expect(group1(k)).toMatchObject({ ownerCnt: 0, owner: null, domain: 'default' });
    // Released as the reference says (§10): the host bind works, and then the group is not viable.
    expect(unbind(k, AUDIO)).toBe(13);
    write(k, `/sys/bus/pci/devices/${AUDIO}/driver_override`, '\n');
    expect(k.sysfs.write('/sys/bus/pci/drivers/snd_hda_intel/bind', AUDIO)).toBe(12);
    expect(group1(k).ownerCnt).toBe(1);
    const again = k.dev.open('/dev/vfio/1')!;
    expect(status(k, again)).toBe(0);
    const container = k.dev.open('/dev/vfio/vfio')!;
    expect(k.dev.ioctl(again, VFIO_GROUP_SET_CONTAINER, container)).toBe(-EPERM);
  });

  it('a device hot-added to an owned group: "device attach failed (-16)" instead of a warning, the group stays 0x3', () => {
    const usb = '0000:01:00.2';
    const story = { ...seedStory, iommu: { ...seedStory.iommu, groups: { ...seedStory.iommu.groups, [usb]: 1 } } };
    const k = buildStoryKernel(story, { profile: 'v6.12' });
    bothToVfio(k);
    const { group } = goLive(k);
    k.registerDriver({ name: 'ehci', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x0aa5 }], probe: 'ok' });
    expect(
      k.addDevice({ bus: 'pci', address: usb, vendor: 0x10de, device: 0x0aa5, class: 0x0c0320, parent: ROOT_PORT }),
    ).toBe(0);
    expect(infoLines(k).slice(-2)).toEqual([
      `pci ${usb}: Adding to iommu group 1`,
      `pci ${usb}: device attach failed (-16)`,
    ]);
    expect(k.device(usb)!.driver).toBeNull();
    expect(status(k, group)).toBe(3);
  });

  it('vetoBind makes no sense on 6.12 and is refused; explainGroup speaks of ownership', () => {
    let e: unknown;
    try {
      createKernel({
        profile: { base: '6.12', flags: ['vetoBind'] },
        plugins: [iommuGroupPlugin(), vfioPlugin()],
      });
    } catch (err) {
      e = err;
    }
    expect(SimError.isInstance(e) && e.code).toBe('SIM_ERR_PROFILE_FLAG_REFUSED');
    expect(String(e)).toContain('Remove iommu group notifier');
    const k = seedKernel('v6.12');
    give(k, GPU, 'vfio-pci');
    const ex = explainGroup(k, 1);
    expect(ex).toMatchObject({ base: '6.12', live: false, viable: false });
    expect(ex.ownership).toEqual({
      ownerCnt: 1,
      owner: null,
      domain: 'default',
      kernelUsers: [`${AUDIO} (snd_hda_intel)`],
    });
    expect(ex.devices.map((d) => d.state)).toEqual(['driver-managed', 'vfio-driver', 'dma-api']);
    expect(ex.text).toContain(
      'DMA owner: the kernel: 0000:01:00.1 (snd_hda_intel) uses the DMA API; owner_cnt 1, default domain',
    );
    expect(ex.notes[0]).toContain('VFIO_GROUP_SET_CONTAINER gets -EPERM');
    expect(vfioGroupOf(k, group1(k))?.orphaned).toBe(false);
  });
});
