import {
  type Device,
  EBADF,
  EBADFD,
  EBUSY,
  EFAULT,
  EINVAL,
  ENODEV,
  ENOTTY,
  type FileOperations,
  type OpenFile,
  type Sleepable,
} from '@sim/core';
import {
  type IommuGroup,
  iommuAttachGroup,
  iommuDetachGroup,
  iommuGroupClaimDmaOwner,
  iommuGroupDmaOwnerClaimed,
  iommuGroupGet,
  iommuGroupPut,
  iommuGroupReleaseDmaOwner,
} from '@sim/iommu-group';
import {
  VFIO_GROUP_FLAGS_CONTAINER_SET,
  VFIO_GROUP_FLAGS_VIABLE,
  VFIO_GROUP_GET_DEVICE_FD,
  VFIO_GROUP_GET_STATUS,
  VFIO_GROUP_SET_CONTAINER,
  VFIO_GROUP_STATUS_SIZE,
  VFIO_GROUP_UNSET_CONTAINER,
} from './constants.ts';
import {
  type BlockedDel,
  ContainerImpl,
  containerPut,
  findDevice,
  groupOfIommu,
  TYPE1,
  UNBIND_REQUEST_INTERVAL_MS,
  unbindWaitWhat,
  VfioDeviceImpl,
  type VfioDeviceOps,
  VfioGroupImpl,
  type VfioState,
} from './vfio.ts';

// vfio as Linux 6.12 has it (drivers/vfio/group.c, container.c, vfio_main.c): DMA ownership instead of v4.12's
// IOMMU group notifier, viability and unbound list. The data structures are vfio.ts's.

/** MINORMASK: vfio group minors. */
const MINORMASK = (1 << 20) - 1;

/**
 * Models vfio_create_group(), drivers/vfio/group.c (6.12): the lowest free minor, /dev/vfio/<iommu group id>. No
 * notifier: 6.12's vfio registers on no chain. The group keeps the caller's IOMMU group reference.
 */
function vfioCreateGroup(st: VfioState, iommuGroup: IommuGroup): VfioGroupImpl | number {
  let minor = 0;
  while (st.minors.has(minor)) minor++;
  if (minor > MINORMASK) return -28; // -ENOSPC
  const g = new VfioGroupImpl(iommuGroup, minor);
  g.modern = true;
  const ret = st.kernel.dev.register(g.node.slice('/dev/'.length), groupFopsModern(st, g));
  if (ret !== 0) return ret;
  st.minors.add(minor);
  st.groups.unshift(g);
  return g;
}

/**
 * Models vfio_register_group_dev() (vfio_main.c) with vfio_device_set_group() / vfio_group_find_or_alloc()
 * (group.c), 6.12, what a vfio bus driver's probe calls: -EINVAL for a device in no IOMMU group, or (with a WARN_ON)
 * for one registered already; the vfio group found (group->drivers + 1) or created (/dev/vfio/N appears); the device
 * joins the group's device list. 0 or a negative errno.
 */
export function vfioRegisterGroupDev(st: VfioState, dev: Device, ops: VfioDeviceOps): number {
  const k = st.kernel;
  return k.withFrame('vfio_register_group_dev', () => {
    const iommuGroup = iommuGroupGet(dev);
    if (iommuGroup === null) return -EINVAL;
    let g = groupOfIommu(st, iommuGroup);
    if (g !== undefined) {
      iommuGroupPut(iommuGroup); // the vfio group holds its own reference
      if (findDevice(g, dev) !== undefined) {
        k.warn('drivers/vfio/group.c:693', 'WARN_ON(vfio_group_has_device(group, dev))');
        return -EINVAL;
      }
      g.drivers++;
    } else {
      const made = vfioCreateGroup(st, iommuGroup);
      if (typeof made === 'number') {
        iommuGroupPut(iommuGroup);
        return made;
      }
      g = made;
      g.drivers = 1;
    }
    // vfio_device_group_register(): list_add(), new devices first; the registration is the device's first reference.
    const device = new VfioDeviceImpl(dev, g, ops);
    g.deviceList.unshift(device);
    st.drvdata.set(dev, device);
    return 0;
  });
}

/**
 * Models vfio_unregister_group_dev(), drivers/vfio/vfio_main.c (6.12), called from a vfio bus driver's remove: the
 * device leaves the group's list (GET_DEVICE_FD no longer finds it) and its registration reference goes. When that
 * was the last reference (no device fd open) the unregister finishes at once and returns undefined; else it returns
 * a sleepable path, which the remove must return: the driver's request op, then wait_for_completion_timeout(10 s),
 * again and again, until the last device fd closes (in a task run, another task's close; with one task, the wait is
 * reported hung past 120 s and the unbind ends with -EDEADLK, the device still bound; the next unbind after the
 * close finishes). Then vfio_device_remove_group(): the last vfio device of the group takes /dev/vfio/N away and
 * releases DMA ownership, even with the group fd still open.
 */
export function vfioUnregisterGroupDev(st: VfioState, dev: Device): Sleepable<void> | undefined {
  const k = st.kernel;
  return k.withFrame('vfio_unregister_group_dev', () => {
    let blocked = st.blockedDel.get(dev);
    if (blocked === undefined) {
      const device = st.drvdata.get(dev);
      if (device === undefined) return undefined; // nothing vfio knows of
      const g = device.group;
      const i = g.deviceList.indexOf(device);
      if (i !== -1) g.deviceList.splice(i, 1);
      device.kref--; // vfio_device_put_registration(): complete() at zero
      blocked = { group: g, count: 0, device };
    } else {
      // An unbind that a hung-task report ended: it waits again from where it stopped.
      st.blockedDel.delete(dev);
    }
    // try_wait_for_completion()
    if (blocked.device!.kref === 0) {
      vfioUnregisterGroupDevDone(st, dev, blocked);
      return undefined;
    }
    return vfioUnregisterGroupDevWait(st, dev, blocked);
  });
}

/** The wait of vfio_unregister_group_dev(), vfio_main.c (6.12): request, then wait_for_completion_timeout(), again. */
function* vfioUnregisterGroupDevWait(st: VfioState, dev: Device, blocked: BlockedDel): Sleepable<void> {
  const k = st.kernel;
  const device = blocked.device!;
  try {
    for (;;) {
      device.ops.request?.(device, blocked.count++);
      const what = unbindWaitWhat(k, 'vfio_unregister_group_dev()', dev, device);
      if (yield* k.waitEvent(what, () => device.kref === 0, UNBIND_REQUEST_INTERVAL_MS)) break;
    }
  } catch (e) {
    // The hung-task report ended the wait (-EDEADLK): the unbind stops here; the next one waits again.
    st.blockedDel.set(dev, blocked);
    throw e;
  }
  vfioUnregisterGroupDevDone(st, dev, blocked);
}

/** The end of vfio_unregister_group_dev(): drvdata cleared, vfio_device_remove_group(). */
function vfioUnregisterGroupDevDone(st: VfioState, dev: Device, blocked: BlockedDel): void {
  if (st.drvdata.get(dev) === blocked.device) st.drvdata.delete(dev);
  vfioDeviceRemoveGroup(st, blocked.group);
}

/**
 * Models vfio_device_remove_group(), drivers/vfio/group.c (6.12): one driver less; the last one takes the group
 * off vfio's list, deletes /dev/vfio/N, detaches the container (which releases DMA ownership) and drops the IOMMU
 * group. An open group fd keeps the vfio_group, orphaned: its ioctls get -ENODEV.
 */
function vfioDeviceRemoveGroup(st: VfioState, g: VfioGroupImpl): void {
  g.drivers--;
  if (g.drivers > 0) return;
  const k = st.kernel;
  const i = st.groups.indexOf(g);
  if (i !== -1) st.groups.splice(i, 1);
  k.dev.unregister(g.node.slice('/dev/'.length));
  st.minors.delete(g.minor);
  if (g.container !== null) vfioGroupDetachContainer(st, g);
  g.orphaned = true;
  if (!g.opened) g.released = true;
  iommuGroupPut(g.iommuGroup);
}

// ---------------------------------------------------------------------------------------------------------------
// The container (drivers/vfio/container.c)

/**
 * Models vfio_container_attach_group(), drivers/vfio/container.c (6.12): iommu_group_claim_dma_owner() (-EPERM
 * while a kernel driver uses the group's DMA, -EBUSY off the default domain); a container that has its IOMMU
 * backend attaches the group to it (undoing the claim on failure); container_users = 1.
 */
function vfioContainerAttachGroup(c: ContainerImpl, g: VfioGroupImpl): number {
  let ret = iommuGroupClaimDmaOwner(g.iommuGroup, g);
  if (ret !== 0) return ret;
  if (c.backend !== null) {
    ret = iommuAttachGroup(g.iommuGroup);
    if (ret !== 0) {
      iommuGroupReleaseDmaOwner(g.iommuGroup);
      return ret;
    }
  }
  g.container = c;
  g.containerUsers = 1;
  c.groupList.push(g);
  c.kref++;
  return 0;
}

/**
 * Models vfio_group_detach_container(), drivers/vfio/container.c (6.12): the backend detaches the group, DMA
 * ownership is released (the group is back on its default domain), and the last group out deprivileges the
 * container.
 */
export function vfioGroupDetachContainer(st: VfioState, g: VfioGroupImpl): void {
  const c = g.container!;
  if (c.backend !== null) iommuDetachGroup(g.iommuGroup);
  iommuGroupReleaseDmaOwner(g.iommuGroup);
  g.container = null;
  g.containerUsers = 0;
  const i = c.groupList.indexOf(g);
  if (i !== -1) c.groupList.splice(i, 1);
  if (c.backend !== null && c.groupList.length === 0) c.backend = null;
  containerPut(st, c);
}

/**
 * Models vfio_ioctl_set_iommu(), drivers/vfio/container.c (6.12): -EINVAL with no group attached or a backend set,
 * -ENODEV when no backend supports `arg`; type1 attaches every group to userspace's domain (iommu_attach_group()).
 */
export function vfioIoctlSetIommuModern(c: ContainerImpl, arg: number): number {
  if (c.groupList.length === 0 || c.backend !== null) return -EINVAL;
  if (TYPE1.checkExtension(arg) <= 0) return -ENODEV;
  const attached: VfioGroupImpl[] = [];
  for (const g of c.groupList) {
    const ret = iommuAttachGroup(g.iommuGroup);
    if (ret !== 0) {
      for (const a of attached) iommuDetachGroup(a.iommuGroup);
      return ret;
    }
    attached.push(g);
  }
  c.backend = TYPE1;
  return 0;
}

// ---------------------------------------------------------------------------------------------------------------
// /dev/vfio/N (drivers/vfio/group.c)

/** The group file's last reference went: vfio_group_fops_release(). */
function groupFileRelease(st: VfioState, g: VfioGroupImpl): void {
  g.releasePending = false;
  if (g.container !== null) vfioGroupDetachContainer(st, g);
  g.opened = false;
  if (g.orphaned) g.released = true;
}

/** A reference on the group file goes (the fd's, or a device fd's: vfio_group_unuse_container()'s fput()). */
function groupFilePut(st: VfioState, g: VfioGroupImpl): void {
  g.fileRefs--;
  if (g.fileRefs === 0) groupFileRelease(st, g);
}

/** The device fd's file operations (6.12): vfio_device_fops_release() through vfio_df_group_close(). */
function deviceFopsModern(st: VfioState): FileOperations {
  return {
    release(file: OpenFile) {
      const d = file.private as VfioDeviceImpl;
      file.private = null;
      d.ops.release?.(d);
      const g = d.group;
      // vfio_group_unuse_container(): one container user less, and the group file's reference goes.
      g.containerUsers--;
      groupFilePut(st, g);
      d.kref--; // vfio_device_put_registration(): a waiting unregister may finish now
    },
    /** Models vfio_device_fops_unl_ioctl(): the bus driver's ioctl (-ENOTTY for a driver whose ioctls sim lacks). */
    ioctl(file: OpenFile, cmd: string, arg: unknown) {
      const d = file.private as VfioDeviceImpl | null;
      if (d === null) return -ENODEV;
      return d.ops.ioctl?.(d, cmd, arg) ?? -ENOTTY;
    },
  };
}

/**
 * Models vfio_group_ioctl_get_device_fd(), drivers/vfio/group.c (6.12): -ENODEV for a name that is not a vfio device
 * of the group (a device on no vfio driver included); -EINVAL without a container (vfio_df_group_open()) or
 * without an IOMMU backend (vfio_group_use_container()); else a new fd that counts as a container user and holds
 * the group file. No viability check: ownership was settled at VFIO_GROUP_SET_CONTAINER.
 */
function vfioGroupGetDeviceFd(st: VfioState, g: VfioGroupImpl, name: string): number {
  const d = g.deviceList.find((x) => x.dev.name === name);
  if (d === undefined) return -ENODEV;
  if (g.container === null || g.container.backend === null) return -EINVAL;
  d.kref++;
  const ret = d.ops.open?.(d) ?? 0;
  if (ret !== 0) {
    d.kref--;
    return ret;
  }
  g.containerUsers++;
  g.fileRefs++;
  return st.kernel.dev.anonInodeGetfd('[vfio-device]', deviceFopsModern(st), d);
}

/**
 * Models vfio_group_ioctl_get_status(), drivers/vfio/group.c (6.12): -ENODEV once the group is orphaned;
 * VIABLE | CONTAINER_SET with a container; VIABLE while no kernel driver uses the group's DMA (owner_cnt == 0);
 * else 0.
 */
function vfioGroupGetStatus(g: VfioGroupImpl, arg: unknown): number {
  if (typeof arg !== 'object' || arg === null) return -EFAULT;
  const status = arg as { argsz?: unknown; flags?: unknown };
  const argsz = status.argsz ?? VFIO_GROUP_STATUS_SIZE;
  if (typeof argsz !== 'number') return -EFAULT;
  if (argsz < VFIO_GROUP_STATUS_SIZE) return -EINVAL;
  if (g.orphaned) return -ENODEV;
  let flags = 0;
  if (g.container !== null) flags = VFIO_GROUP_FLAGS_CONTAINER_SET | VFIO_GROUP_FLAGS_VIABLE;
  else if (!iommuGroupDmaOwnerClaimed(g.iommuGroup)) flags = VFIO_GROUP_FLAGS_VIABLE;
  try {
    status.flags = flags;
  } catch {
    return -EFAULT;
  }
  return 0;
}

/**
 * Models vfio_group_ioctl_set_container(), drivers/vfio/group.c (6.12): -EBADF for an fd that is not open,
 * -EINVAL when a container is set already, -ENODEV for an orphaned group, -EBADFD for an fd that is not a container
 * (iommufd is not modelled); else vfio_container_attach_group().
 */
function vfioGroupSetContainer(st: VfioState, g: VfioGroupImpl, fd: number): number {
  const file = st.kernel.dev.file(fd);
  if (file === undefined) return -EBADF;
  if (g.container !== null) return -EINVAL;
  if (g.orphaned) return -ENODEV;
  const c = file.private;
  if (!(c instanceof ContainerImpl) || !st.containers.has(c)) return -EBADFD;
  return vfioContainerAttachGroup(c, g);
}

/** Models vfio_group_ioctl_unset_container(), drivers/vfio/group.c (6.12): only 1 -> 0 container users. */
function vfioGroupUnsetContainer(st: VfioState, g: VfioGroupImpl): number {
  if (g.container === null) return -EINVAL;
  if (g.containerUsers !== 1) return -EBUSY;
  vfioGroupDetachContainer(st, g);
  return 0;
}

/** The group node's file operations (6.12): vfio_group_fops_open(), _release(), _unl_ioctl(). */
function groupFopsModern(st: VfioState, g: VfioGroupImpl): FileOperations {
  return {
    /** Models vfio_group_fops_open(): -ENODEV once the group is going, -EBUSY while open. No viability check. */
    open(file: OpenFile) {
      if (g.drivers === 0 || g.orphaned) return -ENODEV;
      if (g.opened) return -EBUSY;
      g.opened = true;
      g.fileRefs = 1;
      file.private = g;
      return 0;
    },
    /** Models vfio_group_fops_release(), which runs once device fds no longer hold the file. */
    release(file: OpenFile) {
      file.private = null;
      g.releasePending = g.fileRefs > 1;
      groupFilePut(st, g);
    },
    /** Models vfio_group_fops_unl_ioctl(). */
    ioctl(_file: OpenFile, cmd: string, arg: unknown) {
      switch (cmd) {
        case VFIO_GROUP_GET_STATUS:
          return vfioGroupGetStatus(g, arg);
        case VFIO_GROUP_SET_CONTAINER:
          if (typeof arg !== 'number' || !Number.isInteger(arg)) return -EFAULT;
          return vfioGroupSetContainer(st, g, arg);
        case VFIO_GROUP_UNSET_CONTAINER:
          return vfioGroupUnsetContainer(st, g);
        case VFIO_GROUP_GET_DEVICE_FD:
          if (typeof arg !== 'string') return -EFAULT;
          return vfioGroupGetDeviceFd(st, g, arg);
        default:
          return -ENOTTY;
      }
    },
  };
}
