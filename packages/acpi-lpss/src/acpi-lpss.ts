import { type BusNotifierBlock, type Device, ENODEV, KERN_ERR, type Kernel, type Plugin } from '@sim/core';
import { acpiCompanionOf, acpiMatchDevice, type LpssPrivateData, lpssPrivateData } from './companion.ts';
import { badOption, show } from './errors.ts';
import {
  acpiLpssDeviceIds,
  LPSS_AUTO_LTR,
  LPSS_GENERAL,
  LPSS_GENERAL_LTR_MODE_SW,
  LPSS_LTR,
  LPSS_LTR_SIZE,
  LPSS_SW_LTR,
  type LpssDeviceId,
} from './tables.ts';

/** The plugin's name. */
export const ACPI_LPSS_PLUGIN_NAME = 'acpi-lpss';
/** The name the notifier block carries in traces and audits (the kernel function's name). */
export const ACPI_LPSS_NOTIFIER_NAME = 'acpi_lpss_platform_notify';
/** The PM domain the notifier gives LPSS devices (struct dev_pm_domain acpi_lpss_pm_domain). */
export const ACPI_LPSS_PM_DOMAIN = 'acpi_lpss_pm_domain';

/** lpss_attr_group: the attribute group made for LPSS devices with LTR registers. */
export const LPSS_ATTR_GROUP = Object.freeze({
  name: 'lpss_ltr',
  /** lpss_attrs[], in order; each S_IRUSR. */
  attrs: Object.freeze(['auto_ltr', 'sw_ltr', 'ltr_mode'] as const),
});

/** acpiLpssPlugin() options. */
export interface AcpiLpssOptions {
  /**
   * Whether the kernel is an x86 kernel with ACPI and CONFIG_X86_INTEL_LPSS, where acpi_scan_init() calls
   * acpi_lpss_init(). `'auto'` (default): when the machine is a PC (`kernel.machine.compatible` is empty, as sim's
   * default machine); `true` or `false` whatever the machine says.
   */
  readonly acpi?: 'auto' | boolean;
}

/** What acpi_lpss_init() left on one kernel. */
export interface AcpiLpssState {
  /** The notifier is on the platform bus chain. */
  readonly registered: boolean;
  /** Why it is not, or null. */
  readonly reason: string | null;
  /** The id table in use (v4.12's or 6.12's). */
  readonly ids: readonly LpssDeviceId[];
}

/** dev->pm_domain, for the devices the notifier gave one. */
const pmDomains = new WeakMap<Device, string>();
/** The LPSS private registers of each device (all 0 at power-on: LTR in auto mode). */
const registers = new WeakMap<Device, Map<number, number>>();

/** dev->pm_domain as far as this plugin sets it: ACPI_LPSS_PM_DOMAIN or null. */
export function pmDomainOf(dev: Device): string | null {
  return pmDomains.get(dev) ?? null;
}

const OPTION_KEYS = ['acpi'];

/**
 * Intel LPSS's platform-bus notifier (drivers/acpi/acpi_lpss.c in v4.12, drivers/acpi/x86/lpss.c in 6.12):
 * LPSS devices, recognised by the ACPI id of their companion (`props.acpi`, see acpiCompanion()), get the LPSS PM
 * domain on ADD_DEVICE and BIND_DRIVER and lose it on DRIVER_NOT_BOUND, UNBOUND_DRIVER and DEL_DEVICE; those with
 * LTR registers get the `lpss_ltr` attribute group on ADD_DEVICE, whose sysfs_create_group() errno is the answer.
 */
export function acpiLpssPlugin(options: AcpiLpssOptions = {}): Plugin & {
  /** What the plugin did on a kernel it was set up on, or undefined. */
  state(kernel: Kernel): AcpiLpssState | undefined;
} {
  const acpi = checkOptions(options);
  const states = new WeakMap<Kernel, AcpiLpssState>();
  return {
    name: ACPI_LPSS_PLUGIN_NAME,
    dependencies: [],
    setup(kernel) {
      const { state, teardown } = kernel.withFrame('acpi_lpss_init', () => acpiLpssInit(kernel, acpi));
      states.set(kernel, state);
      return teardown;
    },
    exercise(kernel) {
      if (states.get(kernel)?.registered !== true) return;
      exercise(kernel);
    },
    state: (kernel) => states.get(kernel),
  };
}

/**
 * Models acpi_lpss_init(), drivers/acpi/acpi_lpss.c (called by acpi_scan_init()): with CONFIG_X86_INTEL_LPSS, once
 * lpt_clk_init() (6.12: lpss_atom_clk_init()) has registered the LPSS clock, the notifier goes on the platform bus
 * whatever devices the machine has; the scan handler that makes the devices is the topology's part in sim.
 */
function acpiLpssInit(kernel: Kernel, acpi: 'auto' | boolean): { state: AcpiLpssState; teardown?: () => void } {
  const ids = acpiLpssDeviceIds(kernel.version.base);
  const isPc = acpi === true || (acpi === 'auto' && kernel.machine.compatible.length === 0);
  if (!isPc) {
    const why =
      acpi === false
        ? 'acpi: false (no ACPI or no CONFIG_X86_INTEL_LPSS)'
        : `machine is not an ACPI PC (compatible: ${kernel.machine.compatible.join(', ')})`;
    return { state: { registered: false, reason: why, ids } };
  }
  const nb: BusNotifierBlock = {
    name: ACPI_LPSS_NOTIFIER_NAME,
    notifierCall: (event, dev) => acpiLpssPlatformNotify(kernel, ids, event, dev),
  };
  const reg = kernel.bus('platform').registerNotifier(nb);
  // The kernel never unregisters it; the teardown exists because kernel.close() undoes every plugin.
  return {
    state: {
      registered: reg.ret === 0,
      reason: reg.ret === 0 ? null : `bus_register_notifier() returned ${reg.ret}`,
      ids,
    },
    teardown: () => void reg.unregister(),
  };
}

/**
 * Models acpi_lpss_platform_notify(), drivers/acpi/acpi_lpss.c (v4.12) and drivers/acpi/x86/lpss.c (6.12, the
 * same body; ACPI_COMPANION() instead of acpi_bus_get_device()). Events are read in the running kernel's numbering.
 * Every answer is 0 except sysfs_create_group()'s errno on ADD_DEVICE for a device with LPSS_LTR.
 */
export function acpiLpssPlatformNotify(
  kernel: Kernel,
  ids: readonly LpssDeviceId[],
  event: number,
  dev: Device | null,
): number {
  return kernel.withFrame(ACPI_LPSS_NOTIFIER_NAME, () => {
    // to_platform_device(NULL) then acpi_match_device() -> acpi_companion_match() reads dev->fwnode.
    if (dev === null) {
      const where = kernel.version.base === '4.12' ? 'drivers/acpi/bus.c:634' : 'drivers/acpi/bus.c:849';
      kernel.withFrame('acpi_companion_match', () =>
        kernel.bug(where, 'BUG: unable to handle kernel NULL pointer dereference (ACPI_COMPANION(dev), data is NULL)'),
      );
    }
    const device = dev as Device;
    const adev = acpiCompanionOf(device, (why) =>
      kernel.warn('acpi-lpss', `${device.bus.name} ${device.name}: props.acpi is not an ACPI companion: ${why}`),
    );
    const id = acpiMatchDevice(ids, adev);
    if (id === null || id.desc === null || adev === null) return 0;
    const pdata = lpssPrivateData(id, adev);
    if (pdata === null) return 0;
    if (pdata.mmioSize < pdata.desc.prvOffset + LPSS_LTR_SIZE) {
      kernel.devPrintk(KERN_ERR, device, 'MMIO size insufficient to access LTR');
      return 0;
    }
    const ev = kernel.busEvents;
    switch (event) {
      case ev.BUS_NOTIFY_BIND_DRIVER:
        devPmDomainSet(kernel, device, ACPI_LPSS_PM_DOMAIN);
        break;
      case ev.BUS_NOTIFY_DRIVER_NOT_BOUND:
      case ev.BUS_NOTIFY_UNBOUND_DRIVER:
        devPmDomainSet(kernel, device, null);
        break;
      case ev.BUS_NOTIFY_ADD_DEVICE:
        devPmDomainSet(kernel, device, ACPI_LPSS_PM_DOMAIN);
        if (pdata.desc.flags & LPSS_LTR) return sysfsCreateGroup(kernel, device, pdata);
        break;
      case ev.BUS_NOTIFY_DEL_DEVICE:
        if (pdata.desc.flags & LPSS_LTR) sysfsRemoveGroup(kernel, device);
        devPmDomainSet(kernel, device, null);
        break;
      default:
        break;
    }
    return 0;
  });
}

/** Models dev_pm_domain_set(), drivers/base/power/common.c: the WARN when a bound device's domain is changed. */
function devPmDomainSet(kernel: Kernel, dev: Device, pd: string | null): void {
  if (pmDomainOf(dev) === pd) return;
  if (pd !== null && dev.isBound) {
    const where =
      kernel.version.base === '4.12' ? 'drivers/base/power/common.c:149' : 'drivers/base/power/common.c:409';
    kernel.warn(where, 'PM domains can only be changed for unbound devices');
  }
  if (pd === null) pmDomains.delete(dev);
  else pmDomains.set(dev, pd);
}

/**
 * Models sysfs_create_group() with internal_create_group(), fs/sysfs/group.c: the named directory (-EEXIST with the
 * duplicate-filename warning, or whatever kernfs_create_dir() returns), then the files, the directory removed again
 * if one fails. 0 or the negative errno.
 */
function sysfsCreateGroup(kernel: Kernel, dev: Device, pdata: LpssPrivateData): number {
  const dir = `${dev.path}/${LPSS_ATTR_GROUP.name}`;
  const ret = kernel.sysfs.createDir(dir);
  if (ret !== 0) return ret;
  for (const attr of LPSS_ATTR_GROUP.attrs) {
    const show =
      attr === 'ltr_mode' ? () => lpssLtrModeShow(kernel, dev, pdata) : () => lpssLtrShow(kernel, dev, pdata, attr);
    const err = kernel.sysfs.createFile(`${dir}/${attr}`, { mode: 0o400, show });
    if (err !== 0) {
      kernel.sysfs.remove(dir);
      return err;
    }
  }
  return 0;
}

/**
 * Models sysfs_remove_group(), fs/sysfs/group.c: a group that is not there is a WARN in v4.12 (a pr_debug in 6.12,
 * since v5.2).
 */
function sysfsRemoveGroup(kernel: Kernel, dev: Device): void {
  const dir = `${dev.path}/${LPSS_ATTR_GROUP.name}`;
  if (kernel.sysfs.exists(dir)) {
    kernel.sysfs.remove(dir);
    return;
  }
  const text = `sysfs group '${LPSS_ATTR_GROUP.name}' not found for kobject '${dev.name}'`;
  if (kernel.version.base === '4.12') kernel.warn('fs/sysfs/group.c:235', text);
  else if (kernel.dynamicDebug) kernel.prDebug(text);
}

/** Models lpss_reg_read(), drivers/acpi/acpi_lpss.c (sim has no runtime suspend, so never -EAGAIN). */
function lpssRegRead(kernel: Kernel, dev: Device, pdata: LpssPrivateData | null, reg: number): number {
  if (pdata === null) {
    kernel.warn('drivers/acpi/acpi_lpss.c', 'WARN_ON(!pdata || !pdata->mmio_base)');
    return -ENODEV;
  }
  return registers.get(dev)?.get(pdata.desc.prvOffset + reg) ?? 0;
}

/** The companion's private data now (the device may have lost its companion since the group was made). */
function currentPdata(kernel: Kernel, dev: Device, pdata: LpssPrivateData): LpssPrivateData | null {
  const adev = acpiCompanionOf(dev, () => undefined);
  if (adev === null) {
    // acpi_bus_get_device() failing: WARN_ON(ret) and its -ENODEV.
    kernel.warn('drivers/acpi/acpi_lpss.c', 'WARN_ON(ret) in lpss_reg_read');
    return null;
  }
  return pdata;
}

/** Models lpss_ltr_show(), drivers/acpi/acpi_lpss.c: the LTR register as %08x. */
function lpssLtrShow(kernel: Kernel, dev: Device, pdata: LpssPrivateData, attr: string): string | number {
  const p = currentPdata(kernel, dev, pdata);
  if (p === null) return -ENODEV;
  const val = lpssRegRead(kernel, dev, p, attr === 'auto_ltr' ? LPSS_AUTO_LTR : LPSS_SW_LTR);
  return val < 0 ? val : `${(val >>> 0).toString(16).padStart(8, '0')}\n`;
}

/** Models lpss_ltr_mode_show(), drivers/acpi/acpi_lpss.c: `sw` or `auto`. */
function lpssLtrModeShow(kernel: Kernel, dev: Device, pdata: LpssPrivateData): string | number {
  const p = currentPdata(kernel, dev, pdata);
  if (p === null) return -ENODEV;
  const val = lpssRegRead(kernel, dev, p, LPSS_GENERAL);
  if (val < 0) return val;
  return val & LPSS_GENERAL_LTR_MODE_SW ? 'sw\n' : 'auto\n';
}

/**
 * The notifier's only answer other than 0, the way the kernel gets it: an LPSS I2C controller with LTR (INT33C2,
 * Lynxpoint) added while the kernfs allocation of its `lpss_ltr` directory fails (kernel.inject.sysfs, as failslab
 * would): -ENOMEM to device_add(), which ignores it. The device is then removed: v4.12 WARNs that the group is not
 * there.
 */
function exercise(kernel: Kernel): void {
  const fault = kernel.inject.sysfs({ name: LPSS_ATTR_GROUP.name, errno: -12, times: 1 });
  try {
    const spec = { bus: 'platform', name: 'INT33C2:7f', props: { acpi: { hid: 'INT33C2', mmio: 0x1000 } } } as const;
    if (kernel.addDevice(spec) !== 0) return;
    kernel.removeDevice('INT33C2:7f', 'platform');
  } finally {
    fault.remove();
  }
}

function checkOptions(options: unknown): 'auto' | boolean {
  if (options === undefined) return 'auto';
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw badOption(`acpiLpssPlugin() takes an options object such as { acpi: true }, got ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      throw badOption(`acpiLpssPlugin(): unknown option ${show(key)}; known options: ${OPTION_KEYS.join(', ')}`);
    }
  }
  const { acpi } = options as AcpiLpssOptions;
  if (acpi === undefined) return 'auto';
  if (acpi !== 'auto' && acpi !== true && acpi !== false) {
    throw badOption(
      `acpiLpssPlugin({ acpi }) is 'auto' (an ACPI PC when kernel.machine has no compatible), true or false, got ${show(acpi)}`,
    );
  }
  return acpi;
}
