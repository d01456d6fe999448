import {
  BUS_NOTIFY_ADD_DEVICE,
  BUS_NOTIFY_DEL_DEVICE,
  type BusNotifierBlock,
  type Device,
  EBUSY,
  EEXIST,
  EINVAL,
  ENODEV,
  ENOTTY,
  type FileOperations,
  type I2cAdapter,
  isI2cAdapter,
  isI2cClient,
  KERN_ERR,
  KERN_INFO,
  type Kernel,
  NOTIFY_DONE,
  NOTIFY_OK,
  type Plugin,
} from '@sim/core';
import { badOption, show } from './errors.ts';
import { formatDevT, MINORMASK, mkdev } from './kdev-t.ts';

/** I2C_MAJOR, include/linux/i2c-dev.h. */
export const I2C_MAJOR = 89;
/** I2C_MINORS of drivers/i2c/i2c-dev.c in v4.12: MINORMASK (1048575). Adapter numbers from this one up get no node. */
export const I2C_MINORS = MINORMASK;
/** I2C_MINORS up to v4.9 (before "i2c: dev: switch from register_chrdev to cdev API"): 256. */
export const I2C_MINORS_V4_9 = 256;
/** I2C_MINORS of 6.12 (drivers/i2c/i2c-dev.c:49): MINORMASK + 1 (1048576). */
export const I2C_MINORS_V6_12 = MINORMASK + 1;
/** The class i2c-dev creates: /sys/class/i2c-dev. */
export const I2C_DEV_CLASS = 'i2c-dev';
/** The name the notifier block carries in traces and audits (the kernel function's name). */
export const I2CDEV_NOTIFIER_NAME = 'i2cdev_notifier_call';
/** The plugin's name. */
export const I2CDEV_PLUGIN_NAME = 'i2cdev';
/** __FILE__ of i2c-dev.c, as its init failure message prints it. */
const FILE = 'drivers/i2c/i2c-dev.c';

/** i2cdevPlugin() options. */
export interface I2cdevOptions {
  /**
   * I2C_MINORS: adapters numbered from this up get no /dev node ("Out of device minors", -ENODEV). Default: the
   * kernel's, I2C_MINORS (v4.12's MINORMASK) or I2C_MINORS_V6_12 (MINORMASK + 1); I2C_MINORS_V4_9 (256) gives the
   * limit of v4.9 and earlier. An integer in [1, 1 << 20].
   */
  readonly minors?: number;
}

/** One adapter with a node: struct i2c_dev of i2c-dev.c. */
export interface I2cDevEntry {
  /** adap->nr, the minor number. */
  readonly nr: number;
  /** The adapter's name, as /sys/class/i2c-dev/i2c-N/name shows it. */
  readonly adapterName: string;
  /** The adapter device. */
  readonly adapter: I2cAdapter;
  /** The class device's directory, e.g. /sys/devices/i2c-0/i2c-dev/i2c-0. */
  readonly path: string;
}

/** What i2c_dev_init() left on one kernel. */
export interface I2cdevState {
  /** i2c_dev_init() succeeded (and i2c_dev_exit() has not run). */
  readonly initialised: boolean;
  readonly minors: number;
  /** i2c_dev_list: the adapters that have a node, in attach order. */
  readonly entries: readonly I2cDevEntry[];
}

/** The open file of /dev/i2c-N: the anonymous client i2cdev_open() makes. */
export interface I2cDevClient {
  /** client->adapter's number. */
  readonly adapterNr: number;
  /** client->addr, set by I2C_SLAVE / I2C_SLAVE_FORCE. */
  addr: number;
  /** I2C_M_TEN in client->flags. */
  tenBit: boolean;
}

const OPTION_KEYS = ['minors'];

interface State {
  initialised: boolean;
  readonly minors: number;
  /**
   * 6.12's i2c-dev: the notifier answers NOTIFY_OK / NOTIFY_DONE, not the attach's errno (v6.3, "i2c: dev: Fix bus
   * callback return values"), the replay ignores failures, and the lines carry the "i2c_dev: " prefix.
   */
  readonly modern: boolean;
  /** i2c_dev_list. */
  readonly list: (I2cDevEntry & { ownsNode: boolean })[];
}

/**
 * i2c-dev: a class "i2c-dev", an i2c bus notifier that gives every adapter a /dev/i2c-N node and a class device on
 * BUS_NOTIFY_ADD_DEVICE and takes them away on BUS_NOTIFY_DEL_DEVICE, and the replay of adapters that exist when
 * it is loaded. v4.12 answers ADD_DEVICE with the attach's raw errno (-ENODEV past I2C_MINORS); 6.12 answers
 * NOTIFY_OK or NOTIFY_DONE (v6.3).
 */
export function i2cdevPlugin(options: I2cdevOptions = {}): Plugin & {
  /** What the plugin did on a kernel it was set up on, or undefined. */
  state(kernel: Kernel): I2cdevState | undefined;
} {
  const minors = checkOptions(options);
  const states = new WeakMap<Kernel, State>();
  return {
    name: I2CDEV_PLUGIN_NAME,
    dependencies: [],
    setup(kernel) {
      const modern = kernel.version.base === '6.12';
      const state: State = {
        initialised: false,
        minors: minors ?? (modern ? I2C_MINORS_V6_12 : I2C_MINORS),
        modern,
        list: [],
      };
      states.set(kernel, state);
      return i2cDevInit(kernel, state);
    },
    exercise(kernel) {
      // The answer other than 0: the raw -ENODEV of an adapter numbered past the minors, through device_add().
      const state = states.get(kernel);
      if (state?.initialised !== true) return;
      kernel.addDevice({ bus: 'i2c', kind: 'adapter', name: 'i2c-dev exercise: out of minors', nr: state.minors });
    },
    state(kernel) {
      const state = states.get(kernel);
      if (state === undefined) return undefined;
      return {
        initialised: state.initialised,
        minors: state.minors,
        entries: state.list.map(({ nr, adapterName, adapter, path }) => ({ nr, adapterName, adapter, path })),
      };
    },
  };
}

/** Models i2c_dev_init(), drivers/i2c/i2c-dev.c: returns the module's exit (i2c_dev_exit()), or nothing on failure. */
function i2cDevInit(kernel: Kernel, state: State): (() => void) | undefined {
  kernel.printk(KERN_INFO, `${prefix(state)}i2c /dev entries driver`);
  // register_chrdev_region(MKDEV(I2C_MAJOR, 0), I2C_MINORS, "i2c"): sim keeps no table of char device regions.
  // class_create(THIS_MODULE, "i2c-dev").
  const res = kernel.sysfs.createDir(`/sys/class/${I2C_DEV_CLASS}`);
  if (res !== 0) {
    kernel.printk(KERN_ERR, `${FILE}: Driver Initialisation failed`);
    return undefined;
  }
  const nb: BusNotifierBlock = {
    name: I2CDEV_NOTIFIER_NAME,
    notifierCall: (action, dev) => i2cdevNotifierCall(kernel, state, action, dev),
  };
  const bus = kernel.bus('i2c');
  const reg = bus.registerNotifier(nb);
  if (reg.ret !== 0) {
    kernel.sysfs.remove(`/sys/class/${I2C_DEV_CLASS}`);
    kernel.printk(KERN_ERR, `${FILE}: Driver Initialisation failed`);
    return undefined;
  }
  state.initialised = true;
  // Bind to already existing adapters right away: i2c_for_each_dev() stops at the first non-zero return, and
  // i2c_dev_init() ignores it. 6.12's i2c_dev_attach_adapter() wrapper always returns 0, so every adapter is tried.
  kernel.withFrame('i2c_dev_init', () => {
    for (const dev of bus.devices()) {
      const ret = i2cdevAttachAdapter(kernel, state, dev);
      if (!state.modern && ret !== 0) break;
    }
  });
  return () => i2cDevExit(kernel, state, nb);
}

/** Models i2c_dev_exit(), drivers/i2c/i2c-dev.c. */
function i2cDevExit(kernel: Kernel, state: State, nb: BusNotifierBlock): void {
  const bus = kernel.bus('i2c');
  bus.unregisterNotifier(nb);
  for (const dev of bus.devices()) {
    const ret = i2cdevDetachAdapter(kernel, state, dev);
    if (!state.modern && ret !== 0) break;
  }
  // Entries whose adapter left the bus while the notifier was off cannot exist: DEL_DEVICE detached them.
  kernel.sysfs.remove(`/sys/class/${I2C_DEV_CLASS}`);
  state.initialised = false;
}

/**
 * Models i2cdev_notifier_call(), drivers/i2c/i2c-dev.c: v4.12 answers the attach's or detach's int (0 or an errno);
 * 6.12 answers NOTIFY_OK for an adapter attached or detached and NOTIFY_DONE otherwise.
 */
function i2cdevNotifierCall(kernel: Kernel, state: State, action: number, dev: Device | null): number {
  const { BUS_NOTIFY_ADD_DEVICE: add, BUS_NOTIFY_DEL_DEVICE: del } = state.modern
    ? kernel.busEvents
    : { BUS_NOTIFY_ADD_DEVICE, BUS_NOTIFY_DEL_DEVICE };
  if (action !== add && action !== del) return state.modern ? NOTIFY_DONE : 0;
  return kernel.withFrame('i2cdev_notifier_call', () => {
    const ret = action === add ? i2cdevAttachAdapter(kernel, state, dev) : i2cdevDetachAdapter(kernel, state, dev);
    if (!state.modern) return ret;
    return ret === 1 ? NOTIFY_OK : NOTIFY_DONE;
  });
}

/** The pr_fmt() of 6.12's i2c-dev.c (KBUILD_MODNAME ": "); v4.12 prints its own "i2c-dev: " where it does. */
function prefix(state: State): string {
  return state.modern ? 'i2c_dev: ' : '';
}

/** dev->type with dev == NULL: the NULL pointer dereference the kernel would take. */
function checkData(kernel: Kernel, dev: Device | null, fn: string, line: number): Device {
  if (dev === null) {
    kernel.withFrame(fn, () =>
      kernel.bug(`${FILE}:${line}`, 'BUG: unable to handle kernel NULL pointer dereference (dev->type, data is NULL)'),
    );
  }
  return dev as Device;
}

/** Models i2cdev_attach_adapter(), drivers/i2c/i2c-dev.c (with get_free_i2c_dev() and device_create()). */
/**
 * Models i2cdev_attach_adapter(), drivers/i2c/i2c-dev.c: 0 (v4.12) or 1 (6.12, read as NOTIFY_OK) for an adapter
 * that got its node; 0 for a device that is no adapter; the error (v4.12) or 0 (6.12, NOTIFY_DONE) on failure.
 */
function i2cdevAttachAdapter(kernel: Kernel, state: State, data: Device | null): number {
  const dev = checkData(kernel, data, 'i2cdev_attach_adapter', state.modern ? 671 : 544);
  if (!isI2cAdapter(dev)) return 0;
  const adap = dev;
  const failed = (err: number) => (state.modern ? 0 : err);
  // get_free_i2c_dev(): the number check, then the record (no duplicate check in this version).
  if (adap.nr >= state.minors) {
    kernel.printk(KERN_ERR, `${state.modern ? 'i2c_dev: ' : 'i2c-dev: '}Out of device minors (${adap.nr})`);
    return failed(-ENODEV);
  }
  const glue = `${adap.path}/${I2C_DEV_CLASS}`;
  const path = `${glue}/i2c-${adap.nr}`;
  const entry = { nr: adap.nr, adapterName: adap.adapterName, adapter: adap, path, ownsNode: false };
  state.list.push(entry);
  // cdev_add(MKDEV(I2C_MAJOR, nr)) cannot fail here; device_create() can.
  const res = deviceCreate(kernel, state, entry);
  if (res !== 0) {
    state.list.splice(state.list.lastIndexOf(entry), 1);
    return failed(res);
  }
  kernel.prDebug(
    `${state.modern ? 'i2c_dev: ' : 'i2c-dev: '}adapter [${adap.adapterName}] registered as minor ${adap.nr}`,
  );
  return state.modern ? 1 : 0;
}

/** Models i2cdev_detach_adapter(), drivers/i2c/i2c-dev.c. */
/** Models i2cdev_detach_adapter(), drivers/i2c/i2c-dev.c: 0; on 6.12, 1 (NOTIFY_OK) for an adapter detached. */
function i2cdevDetachAdapter(kernel: Kernel, state: State, data: Device | null): number {
  const dev = checkData(kernel, data, 'i2cdev_detach_adapter', state.modern ? 709 : 582);
  if (!isI2cAdapter(dev)) return 0;
  const i = state.list.findIndex((e) => e.nr === dev.nr);
  if (i === -1) return 0; // attach_adapter must have failed
  const entry = state.list[i]!;
  state.list.splice(i, 1);
  deviceDestroy(kernel, entry);
  kernel.prDebug(`${state.modern ? 'i2c_dev: ' : 'i2c-dev: '}adapter [${dev.adapterName}] unregistered`);
  return state.modern ? 1 : 0;
}

/**
 * Models device_create(i2c_dev_class, &adap->dev, MKDEV(I2C_MAJOR, nr), NULL, "i2c-%d", nr), drivers/base/core.c:
 * the class device in the "i2c-dev" glue directory under the adapter, its attributes and links, the
 * /sys/class/i2c-dev link and the devtmpfs node. 0 or the error (e.g. -EEXIST for a name already taken).
 */
function deviceCreate(kernel: Kernel, state: State, entry: I2cDevEntry & { ownsNode: boolean }): number {
  const { sysfs } = kernel;
  const name = `i2c-${entry.nr}`;
  const glue = entry.path.slice(0, entry.path.lastIndexOf('/'));
  const devt = mkdev(I2C_MAJOR, entry.nr);
  let madeGlue = false;
  if (!sysfs.exists(glue)) {
    const err = sysfs.createDir(glue);
    if (err !== 0) return err;
    madeGlue = true;
  }
  const err = sysfs.createDir(entry.path);
  if (err !== 0) {
    if (err === -EEXIST) {
      kernel.printk(
        KERN_ERR,
        `kobject_add_internal failed for ${name} with -EEXIST, don't try to register things with the same name in the same directory.`,
      );
    }
    if (madeGlue) sysfs.remove(glue);
    return err;
  }
  // name: i2c-dev's own attribute group; it looks the adapter up by minor at read time.
  sysfs.createFile(`${entry.path}/name`, {
    mode: 0o444,
    show: () => {
      const found = state.list.find((e) => e.nr === entry.nr);
      return found === undefined ? -ENODEV : `${found.adapterName}\n`;
    },
  });
  sysfs.createFile(`${entry.path}/dev`, { mode: 0o444, show: () => `${formatDevT(devt)}\n` });
  sysfs.createFile(`${entry.path}/uevent`, {
    mode: 0o644,
    show: () => `MAJOR=${I2C_MAJOR}\nMINOR=${entry.nr}\nDEVNAME=${name}\n`,
    store: (_buf, count) => count,
  });
  sysfs.createLink(`${entry.path}/subsystem`, `/sys/class/${I2C_DEV_CLASS}`);
  sysfs.createLink(`${entry.path}/device`, entry.adapter.path);
  const linked = sysfs.createLink(`/sys/class/${I2C_DEV_CLASS}/${name}`, entry.path);
  if (linked !== 0) {
    sysfs.remove(entry.path);
    if (madeGlue) sysfs.remove(glue);
    return linked;
  }
  // devtmpfs_create_node(): device_add() ignores its failure (a node of that name made by someone else stays).
  entry.ownsNode = kernel.dev.register(name, i2cdevFops(kernel, entry.nr)) === 0;
  return 0;
}

/** Models device_destroy(i2c_dev_class, MKDEV(I2C_MAJOR, nr)), drivers/base/core.c. */
function deviceDestroy(kernel: Kernel, entry: I2cDevEntry & { ownsNode: boolean }): void {
  const { sysfs } = kernel;
  const name = `i2c-${entry.nr}`;
  if (entry.ownsNode) kernel.dev.unregister(name);
  sysfs.remove(`/sys/class/${I2C_DEV_CLASS}/${name}`);
  sysfs.remove(entry.path);
  // cleanup_glue_dir(): the glue directory goes with its last class device.
  const glue = entry.path.slice(0, entry.path.lastIndexOf('/'));
  const left = sysfs.list(glue);
  if (Array.isArray(left) && left.length === 0) sysfs.remove(glue);
}

/** I2C_SLAVE and friends, include/uapi/linux/i2c-dev.h, as sim's ioctl() names them. */
export const I2C_IOCTLS = ['I2C_SLAVE', 'I2C_SLAVE_FORCE', 'I2C_TENBIT'] as const;

/** i2cdev_fops, drivers/i2c/i2c-dev.c: open, release and the address ioctls. */
function i2cdevFops(kernel: Kernel, minor: number): FileOperations {
  return {
    /** Models i2cdev_open(): the adapter of that number, or -ENODEV. */
    open(file) {
      const adap = kernel.device(`i2c-${minor}`, 'i2c');
      if (!isI2cAdapter(adap) || adap.nr !== minor) return -ENODEV;
      const client: I2cDevClient = { adapterNr: minor, addr: 0, tenBit: false };
      file.private = client;
      return 0;
    },
    /** Models i2cdev_release(). */
    release(file) {
      file.private = null;
    },
    /** Models i2cdev_ioctl() for I2C_SLAVE, I2C_SLAVE_FORCE and I2C_TENBIT; other commands -ENOTTY. */
    ioctl(file, cmd, arg) {
      const client = file.private as I2cDevClient;
      const value = typeof arg === 'number' && Number.isInteger(arg) && arg >= 0 ? arg : -1;
      switch (cmd) {
        case 'I2C_SLAVE':
        case 'I2C_SLAVE_FORCE': {
          if (value < 0 || value > (client.tenBit ? 0x3ff : 0x7f)) return -EINVAL;
          if (cmd === 'I2C_SLAVE' && i2cdevCheckAddr(kernel, client.adapterNr, value) !== 0) return -EBUSY;
          client.addr = value;
          return 0;
        }
        case 'I2C_TENBIT':
          if (value < 0) return -EINVAL;
          client.tenBit = value > 0;
          return 0;
        default:
          return -ENOTTY;
      }
    },
  };
}

/** Models i2cdev_check_addr(), drivers/i2c/i2c-dev.c (no muxes): -EBUSY when a bound client has the address. */
function i2cdevCheckAddr(kernel: Kernel, adapterNr: number, addr: number): number {
  for (const dev of kernel.bus('i2c').devices()) {
    if (isI2cClient(dev) && dev.adapter.nr === adapterNr && dev.addr === addr && dev.driver !== null) return -EBUSY;
  }
  return 0;
}

function checkOptions(options: unknown): number | null {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw badOption(`i2cdevPlugin() takes an options object such as { minors: I2C_MINORS }, got ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      throw badOption(`i2cdevPlugin(): unknown option ${show(key)}; known options: ${OPTION_KEYS.join(', ')}`);
    }
  }
  const { minors } = options as I2cdevOptions;
  if (minors === undefined) return null;
  if (!Number.isInteger(minors) || minors < 1 || minors > MINORMASK + 1) {
    throw badOption(
      `i2cdevPlugin({ minors }) is I2C_MINORS, an integer in [1, ${MINORMASK + 1}], got ${show(minors)}; use I2C_MINORS (${I2C_MINORS}, v4.12) or I2C_MINORS_V4_9 (${I2C_MINORS_V4_9})`,
    );
  }
  return minors;
}
