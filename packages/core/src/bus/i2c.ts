import type { BusImpl, BusOps } from '../base/bus.ts';
import { deviceAdd, deviceDel } from '../base/core.ts';
import { type DeviceImpl, I2cAdapterDev, I2cClientDev } from '../base/device.ts';
import type { DriverImpl } from '../base/driver.ts';
import { EBUSY, EINVAL, ENODEV } from '../constants/errno.ts';
import { SimError, show } from '../errors/sim-error.ts';
import { attr, type KernfsNode } from '../fs/kernfs.ts';
import type { KernelImpl } from '../kernel/kernel-impl.ts';
import { KERN_ERR } from '../kernel/printk.ts';
import { asSleepable, type Sleepable } from '../kernel/sched.ts';
import { ofDriverMatchDevice } from './platform.ts';
import { checkInt, checkName, checkOfNode, checkProps } from './spec.ts';

/** Models i2c_match_id(), drivers/i2c/i2c-core.c: the id table entry named like the client. */
function i2cMatchId(drv: DriverImpl, client: I2cClientDev): string | null {
  if (drv.ids === null) return null;
  for (const id of drv.ids) if (id === client.clientName) return id;
  return null;
}

/** Models i2c_device_match(), drivers/i2c/i2c-core.c: clients only (an adapter never matches). */
function i2cDeviceMatch(dev: DeviceImpl, drv: DriverImpl): number {
  if (!(dev instanceof I2cClientDev)) return 0;
  if (ofDriverMatchDevice(dev.ofNode, drv)) return 1;
  return i2cMatchId(drv, dev) !== null ? 1 : 0;
}

/** The i2c bus (drivers/i2c/i2c-core.c): adapters (i2c-N, no driver binds them) and clients (N-00aa). */
export function i2cBusOps(k: KernelImpl): BusOps {
  const bus = (): BusImpl => k.busesByName.get('i2c')!;
  /** i2c_adapter_idr: adapter numbers in use. */
  const numbers = new Set<number>();

  /** Models i2c_register_adapter(), drivers/i2c/i2c-core.c. */
  function* registerAdapter(
    nr: number,
    name: string,
    parent: DeviceImpl | null,
    props: Readonly<Record<string, unknown>>,
  ): Sleepable<number> {
    const devName = `i2c-${nr}`;
    const container = parent ?? k.container(null);
    const adap = new I2cAdapterDev(devName, bus(), parent, '/sys/devices', container, props, nr, name);
    k.enter('i2c_register_adapter');
    const ret = yield* asSleepable(deviceAdd(k, adap));
    k.leave();
    if (ret !== 0) {
      numbers.delete(nr);
      k.printk(KERN_ERR, `i2c-core: adapter '${name}': can't register device (${ret})`);
      return ret;
    }
    if (k.dbg) k.devDbg(adap, `adapter [${name}] registered`);
    return 0;
  }

  /** Models i2c_new_device(), drivers/i2c/i2c-core.c. */
  function* newDevice(
    adap: I2cAdapterDev,
    name: string,
    addr: number,
    ofNode: ReturnType<typeof checkOfNode>,
    props: Readonly<Record<string, unknown>>,
  ): Sleepable<number> {
    let status = 0;
    if (addr > 0x7f) status = -EINVAL;
    else if (
      adap.children !== null &&
      [...adap.children.values()].some((c) => c instanceof I2cClientDev && c.addr === addr)
    )
      status = -EBUSY;
    const devName = `${adap.nr}-${addr.toString(16).padStart(4, '0')}`;
    if (status === 0) {
      const client = new I2cClientDev(devName, bus(), ofNode, props, name, addr, adap);
      status = yield* asSleepable(deviceAdd(k, client));
    }
    if (status !== 0) {
      k.devPrintk(
        KERN_ERR,
        adap,
        `Failed to register i2c client ${name} at 0x${addr.toString(16).padStart(2, '0')} (${status})`,
      );
    }
    return status;
  }

  /** Models i2c_del_adapter(), drivers/i2c/i2c-core.c: its clients go first, then the adapter. */
  function* delAdapter(adap: I2cAdapterDev): Sleepable<number> {
    k.enter('i2c_del_adapter');
    const clients = adap.children === null ? [] : [...adap.children.values()].reverse();
    for (const c of clients) if (c.isRegistered) yield* k.unregisterTree(c);
    if (k.dbg) k.devDbg(adap, `adapter [${adap.adapterName}] unregistered`);
    yield* deviceDel(k, adap);
    numbers.delete(adap.nr);
    k.leave();
    return 0;
  }

  return {
    name: 'i2c',
    custom: false,
    match: i2cDeviceMatch,
    /** Models i2c_device_probe(), drivers/i2c/i2c-core.c. */
    probe: (dev) => {
      if (!(dev instanceof I2cClientDev)) return 0;
      const drv = dev.driver!;
      if (drv.ids === null && !ofDriverMatchDevice(dev.ofNode, drv)) return -ENODEV;
      k.devDbg(dev, 'probe');
      return drv.probeFn === null ? 0 : k.runDriverProbe(drv, dev, i2cMatchId(drv, dev));
    },
    /** Models i2c_device_remove(), drivers/i2c/i2c-core.c. */
    remove: (dev) => {
      const drv = dev.driver;
      if (!(dev instanceof I2cClientDev) || drv === null) return undefined;
      k.devDbg(dev, 'remove');
      return drv.removeFn === null ? undefined : k.runDriverRemove(drv, dev);
    },
    checkId: (driver, id) => {
      if (typeof id !== 'string' || id === '') {
        throw new SimError(
          'SIM_ERR_DRIVER_BAD_SPEC',
          `driver '${driver}': i2c ids are client names such as 'eeprom', got ${show(id)}`,
        );
      }
      return id;
    },
    deviceAttrs: (dev): Record<string, KernfsNode> => {
      if (dev instanceof I2cAdapterDev) return { name: attr(0o444, () => `${dev.adapterName}\n`) };
      const client = dev as I2cClientDev;
      return {
        name: attr(0o444, () => `${client.clientName}\n`),
        modalias: attr(0o444, () => `i2c:${client.clientName}\n`),
      };
    },
    ueventVars: (dev) => (dev instanceof I2cClientDev ? [`MODALIAS=i2c:${dev.clientName}`] : []),
    prepareAdd: (raw) => {
      const spec = raw as Record<string, unknown>;
      if (spec.kind === 'adapter') {
        const name = checkName(spec.name, 'i2c adapter name');
        const nr = spec.nr === undefined ? null : checkInt(spec.nr, 0, 0x7ffffffe, `i2c adapter '${name}'`, 'nr');
        const parent =
          spec.parent === undefined ? null : k.deviceOrThrow(spec.parent, undefined, `i2c adapter '${name}' parent`);
        const props = checkProps(spec.props, name);
        return (): number | Sleepable<number> => {
          // i2c_add_numbered_adapter() takes the number asked for (-EBUSY when taken); i2c_add_adapter() the
          // lowest free one.
          let n = nr;
          if (n === null) {
            n = 0;
            while (numbers.has(n)) n++;
          } else if (numbers.has(n)) {
            return -EBUSY;
          }
          numbers.add(n);
          return registerAdapter(n, name, parent, props);
        };
      }
      if (spec.kind === 'client') {
        const name = checkName(spec.name, 'i2c client name');
        const adapterNr = checkInt(spec.adapter, 0, 0x7ffffffe, `i2c client '${name}'`, 'adapter');
        const addr = checkInt(spec.addr, 0, 0x3ff, `i2c client '${name}'`, 'addr');
        const ofNode = checkOfNode(spec.ofNode, name);
        const props = checkProps(spec.props, name);
        return () => {
          const adap = bus().devicesByName.get(`i2c-${adapterNr}`);
          if (!(adap instanceof I2cAdapterDev)) return -ENODEV;
          return newDevice(adap, name, addr, ofNode, props);
        };
      }
      throw new SimError(
        'SIM_ERR_DEVICE_BAD_SPEC',
        `an i2c device needs kind 'adapter' ({ kind, name, nr? }) or 'client' ({ kind, name, adapter, addr }), got kind ${show(spec.kind)}`,
      );
    },
    removeDevice: (dev) => (dev instanceof I2cAdapterDev ? delAdapter(dev) : k.unregisterTree(dev)),
  };
}
