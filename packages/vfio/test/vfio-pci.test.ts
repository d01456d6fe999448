import { createKernel, EDEADLK, type Kernel, type TraceEvent } from '@sim/core';
import { findIommuGroup, iommuGroupPlugin } from '@sim/iommu-group';
import {
  explainGroup,
  isUnbindBlocked,
  VFIO_GROUP_GET_DEVICE_FD,
  VFIO_GROUP_GET_STATUS,
  vfioDeviceOf,
  vfioGroupOf,
  vfioPlugin,
} from '@sim/vfio';
import { describe, expect, it } from 'vitest';
import {
  AUDIO,
  bothToVfio,
  GPU,
  give,
  goLive,
  infoLines,
  lines,
  ROOT_PORT,
  seedKernel,
  unbind,
  write,
} from './helpers.ts';

const vgroup = (k: Kernel) => vfioGroupOf(k, findIommuGroup(k, 1)!)!;

describe('vfio-pci', () => {
  it('has a NULL id table: it binds nothing by itself', () => {
    const k = seedKernel();
    const drv = k.driver('vfio-pci', 'pci')!;
    expect(drv.ids).toBeNull();
    expect(drv.devices()).toEqual([]);
    expect(k.sysfs.write('/sys/bus/pci/drivers/vfio-pci/bind', `${GPU}\n`)).toBe(-19);
  });

  it('binds with driver_override + drivers_probe', () => {
    const k = seedKernel();
    write(k, `/sys/bus/pci/devices/${GPU}/driver_override`, 'vfio-pci\n');
    write(k, '/sys/bus/pci/drivers_probe', `${GPU}\n`);
    expect(k.device(GPU)!.driver?.name).toBe('vfio-pci');
    expect(k.sysfs.readlink(`/sys/bus/pci/devices/${GPU}/driver`)).toBe('../../../../bus/pci/drivers/vfio-pci');
    expect(vfioDeviceOf(k, k.device(GPU)!)?.ops.name).toBe('vfio-pci');
  });

  it('binds with new_id, every unbound device that matches', () => {
    const k = seedKernel();
    unbind(k, AUDIO);
    write(k, '/sys/bus/pci/drivers/vfio-pci/new_id', '10de 10f0\n');
    write(k, '/sys/bus/pci/drivers/vfio-pci/new_id', '10de 1b80\n');
    expect(k.device(GPU)!.driver?.name).toBe('vfio-pci');
    expect(k.device(AUDIO)!.driver?.name).toBe('vfio-pci');
    expect(
      vgroup(k)
        .devices()
        .map((d) => d.name),
    ).toEqual([GPU, AUDIO]);
  });

  it('takes its ids module parameter at load, with the kernel lines', () => {
    const k = createKernel({
      plugins: [
        iommuGroupPlugin(),
        vfioPlugin({ ids: '10de:1b80,,nonsense,10de:10f0:ffffffff:ffffffff:040300:ffffff' }),
      ],
    });
    expect(infoLines(k)).toEqual([
      'VFIO - User Level meta-driver version: 0.3',
      'vfio_pci: invalid id string "nonsense"',
      'vfio_pci: add [10de:1b80[ffff:ffff]] class 00000000/00000000',
      'vfio_pci: add [10de:10f0[ffff:ffff]] class 0x040300/00ffffff',
    ]);
    k.addDevice({ bus: 'pci', address: '0000:01:00.0', vendor: 0x10de, device: 0x1b80, class: 0x030000 });
    k.addDevice({ bus: 'pci', address: '0000:01:00.1', vendor: 0x10de, device: 0x10f0, class: 0x040300 });
    k.addDevice({ bus: 'pci', address: '0000:02:00.0', vendor: 0x10de, device: 0x10f0, class: 0x040100 });
    expect(k.device('0000:01:00.0')!.driver?.name).toBe('vfio-pci');
    expect(k.device('0000:01:00.1')!.driver?.name).toBe('vfio-pci');
    expect(k.device('0000:02:00.0')!.driver).toBeNull(); // the class mask does not match
  });

  it('refuses a bridge in its probe (-EINVAL): a failed probe, and -ENODEV for the bind write', () => {
    const k = seedKernel();
    unbind(k, ROOT_PORT);
    write(k, `/sys/bus/pci/devices/${ROOT_PORT}/driver_override`, 'vfio-pci\n');
    expect(k.sysfs.write('/sys/bus/pci/drivers/vfio-pci/bind', `${ROOT_PORT}\n`)).toBe(-19);
    expect(infoLines(k).at(-1)).toBe(`vfio-pci: probe of ${ROOT_PORT} failed with error -22`);
    expect(k.dev.exists('/dev/vfio/1')).toBe(false);
  });

  it('refuses a device in no IOMMU group (-EINVAL in its probe)', () => {
    const k = createKernel({ plugins: [iommuGroupPlugin({ rule: 'none' }), vfioPlugin()] });
    k.addDevice({ bus: 'pci', address: '0000:00:02.0', vendor: 0x8086, device: 0x5912 });
    write(k, '/sys/bus/pci/devices/0000:00:02.0/driver_override', 'vfio-pci\n');
    expect(k.sysfs.write('/sys/bus/pci/drivers/vfio-pci/bind', '0000:00:02.0\n')).toBe(-19);
    expect(infoLines(k).at(-1)).toBe('vfio-pci: probe of 0000:00:02.0 failed with error -22');
  });

  it('holds a reference on the IOMMU group while bound; the vfio group holds one more', () => {
    const k = seedKernel();
    const g = findIommuGroup(k, 1)!;
    expect(g.refcount).toBe(3); // the three devices
    give(k, GPU, 'vfio-pci');
    expect(g.refcount).toBe(5); // + vfio-pci's, + the vfio group's
    give(k, AUDIO, 'vfio-pci');
    expect(g.refcount).toBe(6);
    unbind(k, GPU);
    unbind(k, AUDIO);
    expect(g.refcount).toBe(3);
  });
});

describe('pci-stub (option pciStub)', () => {
  it('is registered with a NULL id table and claims what it is given', () => {
    const k = seedKernel();
    expect(k.driver('pci-stub', 'pci')!.ids).toBeNull();
    give(k, AUDIO, 'pci-stub');
    expect(infoLines(k).at(-1)).toBe(`pci-stub ${AUDIO}: claimed by stub`);
  });

  it('takes its own ids parameter, with its own lines', () => {
    const k = createKernel({ plugins: [iommuGroupPlugin(), vfioPlugin({ pciStub: { ids: '10de:10f0,x' } })] });
    expect(infoLines(k)).toEqual([
      'VFIO - User Level meta-driver version: 0.3',
      'pci-stub: invalid id string "x"',
      'pci-stub: add 10DE:10F0 sub=FFFFFFFF:FFFFFFFF cls=00000000/00000000',
    ]);
  });

  it('is not there unless asked for', () => {
    const k = createKernel({ plugins: [iommuGroupPlugin(), vfioPlugin()] });
    expect(k.driver('pci-stub', 'pci')).toBeUndefined();
  });
});

describe('vfio-platform (option platform)', () => {
  it('gives a platform device in an IOMMU group its /dev/vfio/N', () => {
    const k = createKernel({
      plugins: [iommuGroupPlugin({ buses: ['platform'] }), vfioPlugin({ platform: true })],
    });
    k.addDevice({ bus: 'platform', name: 'fff51000.ethernet' });
    write(k, '/sys/bus/platform/devices/fff51000.ethernet/driver_override', 'vfio-platform\n');
    write(k, '/sys/bus/platform/drivers_probe', 'fff51000.ethernet\n');
    expect(k.device('fff51000.ethernet')!.driver?.name).toBe('vfio-platform');
    expect(k.dev.exists('/dev/vfio/0')).toBe(true);
    expect(unbind2(k, 'fff51000.ethernet', 'vfio-platform')).toBe(17);
    expect(k.dev.exists('/dev/vfio/0')).toBe(false);
  });
});

function unbind2(k: Kernel, dev: string, drv: string) {
  return k.sysfs.write(`/sys/bus/platform/drivers/${drv}/unbind`, dev);
}

describe('unbinding a device userspace holds open (vfio_del_group_dev waits)', () => {
  function heldAudio() {
    const k = seedKernel();
    bothToVfio(k);
    const { group } = goLive(k);
    const fd = k.dev.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, AUDIO)!;
    return { k, group, fd };
  }

  it('ends the write with -EDEADLK and a hung-task report instead of blocking forever', () => {
    const { k, fd } = heldAudio();
    const rec = k.trace.record();
    expect(unbind(k, AUDIO)).toBe(-EDEADLK);
    rec.stop();
    const log = lines(k);
    expect(log).toContain(`vfio-pci ${AUDIO}: No device request channel registered, blocked until released by user`);
    expect(log).toContain('INFO: task sim:1 blocked for more than 120 seconds.');
    const waits = log.find((l) => l.includes('sim:1 waits for'));
    expect(waits).toContain(`the release of ${AUDIO} by userspace in vfio_del_group_dev() (device fd ${fd} open)`);
    expect(waits).toContain('close it, then unbind (or remove) again');
    // The request is repeated every 10 s of simulated time until the hung-task timeout: #0 to #12, one warning.
    expect(log.filter((l) => l.includes('No device request channel')).length).toBe(1);
    const splat = rec.events.find((e: TraceEvent) => e.type === 'splat');
    expect(splat).toMatchObject({ splat: { kind: 'hung-task', fatal: false } });
    expect(splat?.type === 'splat' && splat.splat.chain).toContain('vfio_del_group_dev()');
    expect(k.oops).toBeNull();
  });

  it('leaves the device where v4.12 leaves it: still bound, its links gone, on the unbound list, viable', () => {
    const { k, group } = heldAudio();
    unbind(k, AUDIO);
    const dev = k.device(AUDIO)!;
    expect(dev.driver?.name).toBe('vfio-pci');
    expect(k.sysfs.exists(`/sys/bus/pci/devices/${AUDIO}/driver`)).toBe(false);
    expect(vgroup(k).unbound()).toEqual([dev]);
    expect(isUnbindBlocked(k, dev)).toBe(true);
    const status = { flags: 0 };
    k.dev.ioctl(group, VFIO_GROUP_GET_STATUS, status);
    expect(status.flags).toBe(3);
    expect(explainGroup(k, 1).devices.find((d) => d.device === AUDIO)?.state).toBe('unbound-list');
    // Nothing else can bind it meanwhile.
    expect(k.sysfs.write('/sys/bus/pci/drivers/snd_hda_intel/bind', `${AUDIO}\n`)).toBe(-19);
  });

  it('the same again while the fd is open; after close, the next unbind finishes without a second request line', () => {
    const { k, fd } = heldAudio();
    expect(unbind(k, AUDIO)).toBe(-EDEADLK);
    expect(k.sysfs.write('/sys/bus/pci/drivers/vfio-pci/unbind', `${AUDIO}\n`)).toBe(-EDEADLK);
    expect(lines(k).filter((l) => l.includes('No device request channel')).length).toBe(1);
    expect(k.dev.close(fd)).toBe(0);
    expect(k.sysfs.write('/sys/bus/pci/drivers/vfio-pci/unbind', `${AUDIO}\n`)).toBe(13);
    const dev = k.device(AUDIO)!;
    expect(dev.driver).toBeNull();
    expect(isUnbindBlocked(k, dev)).toBe(false);
    expect(vgroup(k).unbound()).toEqual([]);
    expect(vgroup(k).devices()).toEqual([k.device(GPU)]);
    // No reference is lost on the way: the group goes when everything lets go.
    unbind(k, GPU);
    for (const f of k.dev.openFiles()) k.dev.close(f.fd);
    expect(k.dev.exists('/dev/vfio/1')).toBe(false);
    expect(findIommuGroup(k, 1)!.refcount).toBe(3);
  });

  it('a device that userspace does not hold unbinds at once, even while the group is live', () => {
    const { k } = heldAudio();
    expect(unbind(k, GPU)).toBe(13);
    expect(k.device(GPU)!.driver).toBeNull();
  });
});
