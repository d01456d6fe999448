import { EBADF, EBUSY, EFAULT, EINVAL, ENODEV, ENOENT, ENOTTY, type Kernel } from '@sim/core';
import { findIommuGroup } from '@sim/iommu-group';
import {
  VFIO_API_VERSION,
  VFIO_CHECK_EXTENSION,
  VFIO_CONTAINER_PATH,
  VFIO_GET_API_VERSION,
  VFIO_GROUP_FLAGS_CONTAINER_SET,
  VFIO_GROUP_FLAGS_VIABLE,
  VFIO_GROUP_GET_DEVICE_FD,
  VFIO_GROUP_GET_STATUS,
  VFIO_GROUP_SET_CONTAINER,
  VFIO_GROUP_UNSET_CONTAINER,
  VFIO_SET_IOMMU,
  VFIO_SPAPR_TCE_IOMMU,
  VFIO_TYPE1_IOMMU,
  VFIO_TYPE1v2_IOMMU,
  VFIO_VERSION_LINE,
  vfioGroupDeviceFds,
  vfioGroupOf,
} from '@sim/vfio';
import { describe, expect, it } from 'vitest';
import { AUDIO, bothToVfio, GPU, give, goLive, lines, seedKernel } from './helpers.ts';

function flags(k: Kernel, fd: number): number {
  const status = { argsz: 8, flags: -1 };
  expect(k.dev.ioctl(fd, VFIO_GROUP_GET_STATUS, status)).toBe(0);
  return status.flags;
}

const vgroup = (k: Kernel) => vfioGroupOf(k, findIommuGroup(k, 1)!)!;

/** What a failed operation must not change. */
function snapshot(k: Kernel) {
  const g = vfioGroupOf(k, findIommuGroup(k, 1)!);
  return {
    files: k.dev.openFiles(),
    nodes: k.dev.list(),
    users: g?.containerUsers,
    opened: g?.opened,
    container: g?.container?.groups().length ?? null,
    backend: g?.container?.iommuDriver ?? null,
    refs: g?.refcount,
  };
}

describe('/dev/vfio/vfio', () => {
  it('exists from vfio_init() on, which prints the version line', () => {
    const k = seedKernel();
    expect(k.dev.exists(VFIO_CONTAINER_PATH)).toBe(true);
    expect(lines(k)).toContain(VFIO_VERSION_LINE);
  });

  it('answers GET_API_VERSION and CHECK_EXTENSION for type1 (1, 3, 6) and nothing else', () => {
    const k = seedKernel();
    const c = k.dev.open(VFIO_CONTAINER_PATH)!;
    expect(k.dev.ioctl(c, VFIO_GET_API_VERSION)).toBe(VFIO_API_VERSION);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((e) => k.dev.ioctl(c, VFIO_CHECK_EXTENSION, e))).toEqual([
      1, 0, 1, 0, 0, 1, 0, 0,
    ]);
    expect(k.dev.ioctl(c, 'VFIO_IOMMU_MAP_DMA', {})).toBe(-EINVAL); // no backend yet
  });

  it('SET_IOMMU: -EINVAL without a group, -ENODEV for an extension no backend has, -EINVAL once set', () => {
    const k = seedKernel();
    bothToVfio(k);
    const c = k.dev.open(VFIO_CONTAINER_PATH)!;
    expect(k.dev.ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU)).toBe(-EINVAL);
    const g = k.dev.open('/dev/vfio/1')!;
    expect(k.dev.ioctl(g, VFIO_GROUP_SET_CONTAINER, c)).toBe(0);
    expect(k.dev.ioctl(c, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_IOMMU)).toBe(-ENODEV);
    expect(k.dev.ioctl(c, VFIO_SET_IOMMU, 'VFIO_TYPE1v2_IOMMU')).toBe(0);
    expect(vgroup(k).container?.iommuDriver).toBe('vfio_iommu_type1');
    expect(k.dev.ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)).toBe(-EINVAL);
    expect(k.dev.ioctl(c, 'VFIO_IOMMU_MAP_DMA', {})).toBe(-ENOTTY); // passed to type1, not modelled
  });
});

describe('/dev/vfio/N: open and release', () => {
  it('a group that does not exist: no node, -ENOENT', () => {
    const k = seedKernel();
    expect(k.dev.open('/dev/vfio/1')).toBe(-ENOENT);
    expect(k.dev.open('/dev/vfio/0')).toBe(-ENOENT);
  });

  it('one open at a time: the second gets -EBUSY, state unchanged', () => {
    const k = seedKernel();
    bothToVfio(k);
    const fd = k.dev.open('/dev/vfio/1')!;
    const before = snapshot(k);
    expect(k.dev.open('/dev/vfio/1')).toBe(-EBUSY);
    expect(snapshot(k)).toEqual(before);
    expect(k.dev.close(fd)).toBe(0);
    expect(k.dev.open('/dev/vfio/1')).toBeGreaterThanOrEqual(3);
  });

  it('opens a group that is not viable (viability is not checked at open)', () => {
    const k = seedKernel();
    give(k, GPU, 'vfio-pci'); // the audio function stays on snd_hda_intel
    const fd = k.dev.open('/dev/vfio/1')!;
    expect(fd).toBeGreaterThanOrEqual(3);
    expect(flags(k, fd)).toBe(0);
  });

  it('-EBUSY while device fds keep the container from an earlier open', () => {
    const k = seedKernel();
    bothToVfio(k);
    const { group } = goLive(k);
    const dev = k.dev.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, GPU)!;
    expect(k.dev.close(group)).toBe(0);
    expect(vgroup(k).containerUsers).toBe(1);
    expect(vgroup(k).opened).toBe(false);
    expect(k.dev.open('/dev/vfio/1')).toBe(-EBUSY);
    expect(vgroup(k).opened).toBe(false);
    expect(k.dev.close(dev)).toBe(0);
    expect(vgroup(k).container).toBeNull();
    expect(k.dev.open('/dev/vfio/1')).toBeGreaterThanOrEqual(3);
  });

  it('closing the group fd dissolves the container when it was the last user', () => {
    const k = seedKernel();
    bothToVfio(k);
    const { container, group } = goLive(k);
    expect(k.dev.close(group)).toBe(0);
    expect(vgroup(k).container).toBeNull();
    expect(vgroup(k).containerUsers).toBe(0);
    // The container lost its last group: deprivileged, SET_IOMMU is possible again once a group joins.
    const g = k.dev.open('/dev/vfio/1')!;
    expect(k.dev.ioctl(g, VFIO_GROUP_SET_CONTAINER, container)).toBe(0);
    expect(vgroup(k).container?.iommuDriver).toBeNull();
  });
});

describe('VFIO_GROUP_GET_STATUS', () => {
  it('VIABLE (1) and CONTAINER_SET (2), as an out object; the ioctl returns 0', () => {
    const k = seedKernel();
    give(k, GPU, 'vfio-pci');
    const c = k.dev.open(VFIO_CONTAINER_PATH)!;
    const g = k.dev.open('/dev/vfio/1')!;
    expect(flags(k, g)).toBe(0);
    give(k, AUDIO, 'vfio-pci');
    expect(flags(k, g)).toBe(VFIO_GROUP_FLAGS_VIABLE);
    k.dev.ioctl(g, VFIO_GROUP_SET_CONTAINER, c);
    expect(flags(k, g)).toBe(VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
    expect(VFIO_GROUP_FLAGS_VIABLE).toBe(1);
    expect(VFIO_GROUP_FLAGS_CONTAINER_SET).toBe(2);
  });

  it('-EFAULT without an object, -EINVAL for argsz < 8; argsz defaults to 8', () => {
    const k = seedKernel();
    bothToVfio(k);
    const g = k.dev.open('/dev/vfio/1')!;
    expect(k.dev.ioctl(g, VFIO_GROUP_GET_STATUS)).toBe(-EFAULT);
    expect(k.dev.ioctl(g, VFIO_GROUP_GET_STATUS, 5)).toBe(-EFAULT);
    const small = { argsz: 4, flags: 7 };
    expect(k.dev.ioctl(g, VFIO_GROUP_GET_STATUS, small)).toBe(-EINVAL);
    expect(small.flags).toBe(7);
    const noSize: { flags?: number } = {};
    expect(k.dev.ioctl(g, VFIO_GROUP_GET_STATUS, noSize)).toBe(0);
    expect(noSize.flags).toBe(1);
    expect(k.dev.ioctl(g, VFIO_GROUP_GET_STATUS, Object.freeze({ argsz: 8, flags: 0 }))).toBe(-EFAULT);
  });
});

describe('VFIO_GROUP_SET_CONTAINER / UNSET_CONTAINER', () => {
  it('a second SET_CONTAINER gets -EINVAL, state unchanged', () => {
    const k = seedKernel();
    bothToVfio(k);
    const { container, group } = goLive(k);
    const before = snapshot(k);
    expect(k.dev.ioctl(group, VFIO_GROUP_SET_CONTAINER, container)).toBe(-EINVAL);
    const other = k.dev.open(VFIO_CONTAINER_PATH)!;
    expect(k.dev.ioctl(group, VFIO_GROUP_SET_CONTAINER, other)).toBe(-EINVAL);
    k.dev.close(other);
    expect(snapshot(k)).toEqual(before);
  });

  it('-EBADF for an fd that is not open, -EINVAL for a negative one or one that is not a container, -EFAULT for no int', () => {
    const k = seedKernel();
    bothToVfio(k);
    const g = k.dev.open('/dev/vfio/1')!;
    const before = snapshot(k);
    expect(k.dev.ioctl(g, VFIO_GROUP_SET_CONTAINER, 42)).toBe(-EBADF);
    expect(k.dev.ioctl(g, VFIO_GROUP_SET_CONTAINER, -1)).toBe(-EINVAL);
    expect(k.dev.ioctl(g, VFIO_GROUP_SET_CONTAINER, g)).toBe(-EINVAL);
    expect(k.dev.ioctl(g, VFIO_GROUP_SET_CONTAINER, '3')).toBe(-EFAULT);
    expect(k.dev.ioctl(g, VFIO_GROUP_SET_CONTAINER)).toBe(-EFAULT);
    expect(snapshot(k)).toEqual(before);
  });

  it('does not check viability (v4.12): a group with a host-bound device goes live', () => {
    const k = seedKernel();
    give(k, GPU, 'vfio-pci');
    const c = k.dev.open(VFIO_CONTAINER_PATH)!;
    const g = k.dev.open('/dev/vfio/1')!;
    expect(k.dev.ioctl(g, VFIO_GROUP_SET_CONTAINER, c)).toBe(0);
    expect(k.dev.ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU)).toBe(0);
    expect(flags(k, g)).toBe(VFIO_GROUP_FLAGS_CONTAINER_SET);
    expect(k.dev.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, GPU)).toBe(-EINVAL);
  });

  it('attaches a group to a container whose IOMMU is already set', () => {
    const k = seedKernel();
    bothToVfio(k);
    give(k, '0000:00:00.0', 'vfio-pci');
    const { container } = goLive(k);
    const g0 = k.dev.open('/dev/vfio/0')!;
    expect(k.dev.ioctl(g0, VFIO_GROUP_SET_CONTAINER, container)).toBe(0);
    expect(vgroup(k).container?.groups().length).toBe(2);
  });

  it('UNSET_CONTAINER: -EINVAL without one, -EBUSY with device fds open, else 0 and the group is idle', () => {
    const k = seedKernel();
    bothToVfio(k);
    const g = k.dev.open('/dev/vfio/1')!;
    expect(k.dev.ioctl(g, VFIO_GROUP_UNSET_CONTAINER)).toBe(-EINVAL);
    const c = k.dev.open(VFIO_CONTAINER_PATH)!;
    k.dev.ioctl(g, VFIO_GROUP_SET_CONTAINER, c);
    k.dev.ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU);
    const d = k.dev.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, AUDIO)!;
    const before = snapshot(k);
    expect(k.dev.ioctl(g, VFIO_GROUP_UNSET_CONTAINER)).toBe(-EBUSY);
    expect(snapshot(k)).toEqual(before);
    k.dev.close(d);
    expect(k.dev.ioctl(g, VFIO_GROUP_UNSET_CONTAINER)).toBe(0);
    expect(vgroup(k).containerUsers).toBe(0);
    expect(flags(k, g)).toBe(VFIO_GROUP_FLAGS_VIABLE);
  });

  it('the container outlives its fd while a group holds it', () => {
    const k = seedKernel();
    bothToVfio(k);
    const { container, group } = goLive(k);
    expect(k.dev.close(container)).toBe(0);
    expect(flags(k, group)).toBe(3);
    expect(k.dev.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, GPU)).toBeGreaterThanOrEqual(3);
  });
});

describe('VFIO_GROUP_GET_DEVICE_FD', () => {
  it('-EINVAL without a container, without an IOMMU, or when not viable; -ENODEV for another name', () => {
    const k = seedKernel();
    bothToVfio(k);
    const g = k.dev.open('/dev/vfio/1')!;
    expect(k.dev.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, GPU)).toBe(-EINVAL);
    const c = k.dev.open(VFIO_CONTAINER_PATH)!;
    k.dev.ioctl(g, VFIO_GROUP_SET_CONTAINER, c);
    expect(k.dev.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, GPU)).toBe(-EINVAL);
    k.dev.ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU);
    expect(k.dev.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, '0000:00:01.0')).toBe(-ENODEV);
    expect(k.dev.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, 'nonsense')).toBe(-ENODEV);
    expect(k.dev.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, 7)).toBe(-EFAULT);
    expect(vgroup(k).containerUsers).toBe(1);
  });

  it('each device fd is a container user and holds a reference until it is closed', () => {
    const k = seedKernel();
    bothToVfio(k);
    const { group } = goLive(k);
    const a = k.dev.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, GPU)!;
    const b = k.dev.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, GPU)!;
    const c = k.dev.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, AUDIO)!;
    expect([a, b, c].every((fd) => fd >= 3)).toBe(true);
    expect(new Set([a, b, c]).size).toBe(3);
    expect(k.dev.openFiles().find((f) => f.fd === a)?.path).toBe('anon_inode:[vfio-device]');
    expect(vgroup(k).containerUsers).toBe(4);
    expect(vfioGroupDeviceFds(k, vgroup(k))).toEqual([a, b, c]);
    expect(k.dev.ioctl(a, 'VFIO_DEVICE_GET_INFO', {})).toBe(-ENOTTY);
    k.dev.close(b);
    expect(vgroup(k).containerUsers).toBe(3);
  });
});
