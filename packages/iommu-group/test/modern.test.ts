import { createKernel, EBUSY, EPERM, KERN_INFO, type Kernel, NOTIFY_OK, SimError, type TraceEvent } from '@sim/core';
import {
  findIommuGroup,
  iommuAttachGroup,
  iommuDetachGroup,
  iommuDeviceClaimDmaOwner,
  iommuDeviceReleaseDmaOwner,
  iommuGroupAddDevice,
  iommuGroupAlloc,
  iommuGroupClaimDmaOwner,
  iommuGroupDmaOwnerClaimed,
  iommuGroupPlugin,
  iommuGroupRegisterNotifier,
  iommuGroupReleaseDmaOwner,
  iommuGroupRemoveDevice,
} from '@sim/iommu-group';
import { describe, expect, it } from 'vitest';

const GPU = { bus: 'pci', address: '0000:01:00.0', vendor: 0x10de, device: 0x1b80, class: 0x030000 } as const;
const AUDIO = { bus: 'pci', address: '0000:01:00.1', vendor: 0x10de, device: 0x10f0, class: 0x040300 } as const;
const HDA = { name: 'snd_hda_intel', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x10f0 }], probe: 'ok' } as const;

function thrown(fn: () => unknown): SimError {
  try {
    fn();
  } catch (e) {
    if (SimError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('did not throw');
}

function modern(): Kernel {
  const k = createKernel({
    profile: 'v6.12',
    plugins: [iommuGroupPlugin({ groups: { [GPU.address]: 1, [AUDIO.address]: 1 } })],
  });
  k.sysfs.write('/sys/bus/pci/drivers_autoprobe', '0');
  return k;
}

const info = (k: Kernel) => k.dmesg.lines({ level: KERN_INFO, timestamps: false });

describe('@sim/iommu-group on 6.12: groups without a chain', () => {
  it("puts devices in groups with 6.12's line, and makes no group chain", () => {
    const k = modern();
    k.addDevice(GPU);
    k.addDevice(AUDIO);
    expect(info(k)).toEqual(['pci 0000:01:00.0: Adding to iommu group 1', 'pci 0000:01:00.1: Adding to iommu group 1']);
    expect(k.sysfs.list('/sys/kernel/iommu_groups/1/devices')).toEqual([GPU.address, AUDIO.address]);
    expect(k.chains()).toEqual(['platform', 'pci', 'i2c']);
    const group = findIommuGroup(k, 1)!;
    expect(group).toMatchObject({ ownerCnt: 0, owner: null, domain: 'default' });
    const e = thrown(() => group.notifier);
    expect(e.code).toBe('SIM_ERR_IOMMU_NO_GROUP_CHAIN');
    expect(e.message).toContain('removed in v5.19');
    expect(thrown(() => iommuGroupRegisterNotifier(group, { name: 'x', notifierCall: () => 0 })).code).toBe(
      'SIM_ERR_IOMMU_NO_GROUP_CHAIN',
    );
  });

  it('iommu_bus_notifier handles ADD_DEVICE and REMOVED_DEVICE only; removal prints nothing', () => {
    const k = modern();
    k.addDevice(GPU);
    k.registerDriver({ name: 'nouveau', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x1b80 }], probe: 'ok' });
    const { events } = k.trace.record();
    k.sysfs.write('/sys/bus/pci/drivers/nouveau/bind', GPU.address);
    k.removeDevice(GPU.address);
    const answers = (events as TraceEvent[])
      .filter((e) => e.type === 'chain.block' && e.block === 'iommu_bus_notifier')
      .map((e) => `${(e as { actionName: string }).actionName}=${(e as { ret: number }).ret}`);
    expect(answers).toEqual([
      'BUS_NOTIFY_BIND_DRIVER=0',
      'BUS_NOTIFY_BOUND_DRIVER=0',
      'BUS_NOTIFY_UNBIND_DRIVER=0',
      'BUS_NOTIFY_UNBOUND_DRIVER=0',
      'BUS_NOTIFY_DEL_DEVICE=0',
      `BUS_NOTIFY_REMOVED_DEVICE=${NOTIFY_OK}`,
    ]);
    expect(info(k).filter((l) => l.includes('Removing'))).toEqual([]);
    expect(findIommuGroup(k, 1)).toBeUndefined();
  });

  it('the percolate flag makes no sense on 6.12 and is refused with the reason', () => {
    const e = thrown(() =>
      createKernel({ profile: { base: '6.12', flags: ['percolate'] }, plugins: [iommuGroupPlugin()] }),
    );
    expect(e.code).toBe('SIM_ERR_PROFILE_FLAG_REFUSED');
    expect(e.message).toContain('the IOMMU group notifier chain was removed in v5.19');
  });

  it("the API adds and removes with 6.12's lines", () => {
    const k = createKernel({ profile: 'v6.12', plugins: [iommuGroupPlugin({ rule: 'none' })] });
    k.addDevice(GPU);
    const g = iommuGroupAlloc(k);
    expect(iommuGroupAddDevice(g, k.device(GPU.address)!)).toBe(0);
    iommuGroupRemoveDevice(k.device(GPU.address)!);
    expect(info(k)).toEqual([
      `pci ${GPU.address}: Adding to iommu group 0`,
      `pci ${GPU.address}: Removing from iommu group 0`,
    ]);
  });
});

describe('@sim/iommu-group on 6.12: DMA ownership (drivers/iommu/iommu.c)', () => {
  it('a kernel driver counts; a claim is then -EPERM; released, the claim moves the group to its blocking domain', () => {
    const k = modern();
    k.addDevice(GPU);
    k.addDevice(AUDIO);
    k.registerDriver(HDA);
    const g = findIommuGroup(k, 1)!;
    const vfio = { name: 'vfio group 1' };
    expect(k.sysfs.write('/sys/bus/pci/drivers/snd_hda_intel/bind', AUDIO.address)).toBe(12);
    expect(g.ownerCnt).toBe(1);
    expect(iommuGroupDmaOwnerClaimed(g)).toBe(true);
    expect(iommuGroupClaimDmaOwner(g, vfio)).toBe(-EPERM);
    k.sysfs.write('/sys/bus/pci/drivers/snd_hda_intel/unbind', AUDIO.address);
    expect(g.ownerCnt).toBe(0);
    expect(iommuGroupClaimDmaOwner(g, vfio)).toBe(0);
    expect(g).toMatchObject({ ownerCnt: 1, owner: vfio, domain: 'blocking' });
    // Now no DMA-API driver binds in the group: -EBUSY, before any bus event.
    expect(k.sysfs.write('/sys/bus/pci/drivers/snd_hda_intel/bind', AUDIO.address)).toBe(-EBUSY);
    expect(k.driver('snd_hda_intel', 'pci')?.probeCalls).toBe(1);
    expect(iommuAttachGroup(g)).toBe(0);
    expect(g.domain).toBe('unmanaged');
    expect(iommuAttachGroup(g)).toBe(-EBUSY);
    iommuDetachGroup(g);
    expect(g.domain).toBe('blocking');
    iommuGroupReleaseDmaOwner(g);
    expect(g).toMatchObject({ ownerCnt: 0, owner: null, domain: 'default' });
    expect(k.sysfs.write('/sys/bus/pci/drivers/snd_hda_intel/bind', AUDIO.address)).toBe(12);
  });

  it('a driver_managed_dma driver does not count; a device claim by another owner is -EPERM', () => {
    const k = modern();
    k.addDevice(GPU);
    k.addDevice(AUDIO);
    k.registerDriver({ name: 'stub', bus: 'pci', probe: 'ok', driverManagedDma: true });
    k.sysfs.write(`/sys/bus/pci/devices/${GPU.address}/driver_override`, 'stub');
    expect(k.sysfs.write('/sys/bus/pci/drivers/stub/bind', GPU.address)).toBe(12);
    const g = findIommuGroup(k, 1)!;
    expect(g.ownerCnt).toBe(0);
    const a = { name: 'iommufd a' };
    const b = { name: 'iommufd b' };
    expect(iommuDeviceClaimDmaOwner(k.device(GPU.address)!, a)).toBe(0);
    expect(iommuDeviceClaimDmaOwner(k.device(AUDIO.address)!, a)).toBe(0);
    expect(iommuDeviceClaimDmaOwner(k.device(AUDIO.address)!, b)).toBe(-EPERM);
    expect(g.ownerCnt).toBe(2);
    iommuDeviceReleaseDmaOwner(k.device(AUDIO.address)!);
    iommuDeviceReleaseDmaOwner(k.device(GPU.address)!);
    expect(g).toMatchObject({ ownerCnt: 0, owner: null, domain: 'default' });
  });

  it('DMA ownership on v4.12 is a SimError; a bad owner too', () => {
    const k = createKernel({ plugins: [iommuGroupPlugin({ groups: { [GPU.address]: 1 } })] });
    k.addDevice(GPU);
    const g = findIommuGroup(k, 1)!;
    expect(g).toMatchObject({ ownerCnt: 0, owner: null, domain: 'default' });
    const e = thrown(() => iommuGroupClaimDmaOwner(g, { name: 'x' }));
    expect(e.code).toBe('SIM_ERR_IOMMU_NO_DMA_OWNERSHIP');
    expect(e.message).toContain('v5.19');
    const m = modern();
    m.addDevice(GPU);
    expect(thrown(() => iommuGroupClaimDmaOwner(findIommuGroup(m, 1)!, null as never)).code).toBe(
      'SIM_ERR_IOMMU_BAD_ARGUMENT',
    );
  });
});
