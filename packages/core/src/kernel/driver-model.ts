/**
 * The driver model's registry: the buses a kernel has (/sys/bus), the devices and drivers on them found by name,
 * and the calls that add and take away each of them from outside the kernel (a hot-plugged device, a module's
 * driver, a bus of the user's own), each run as one operation and journaled while a plugin's setup runs. The
 * work itself is base/'s (device_add(), driver_register(), ...); this is where the kernel keeps the objects and
 * how callers reach them. Models bus_register() (drivers/base/bus.c), device_unregister() (drivers/base/core.c)
 * and driver_register()/driver_unregister() (drivers/base/driver.c) as entry points.
 *
 * It takes the whole kernel (the composition, KernelImpl, by type only), since the driver-core functions it
 * calls do.
 */
import type { Bus, BusOps } from '../base/bus.ts';
import { BusImpl } from '../base/bus.ts';
import { deviceDel } from '../base/core.ts';
import type { Device, DeviceImpl } from '../base/device.ts';
import type { Driver, DriverImpl, DriverSpec } from '../base/driver.ts';
import { driverRegister, driverUnregister, makeDriver } from '../base/driver.ts';
import { customBusOps } from '../bus/generic.ts';
import { checkString } from '../errors/check.ts';
import { SimError, show } from '../errors/sim-error.ts';
import type { BusTypeSpec, DeviceSpec } from './kernel.ts';
import type { KernelImpl } from './kernel-impl.ts';
import type { Sleepable } from './sched.ts';

/** The buses, devices and drivers of one kernel. */
export class DriverModel {
  /** The registered buses by name (bus_kset). */
  readonly busesByName = new Map<string, BusImpl>();

  constructor(private readonly k: KernelImpl) {}

  /** Models bus_register(), drivers/base/bus.c. */
  addBus(ops: BusOps): BusImpl {
    const bus = new BusImpl(this.k, ops);
    this.busesByName.set(ops.name, bus);
    return bus;
  }

  /** A bus by name for an API call; a SimError naming the fix when there is none. */
  busOrThrow(name: unknown, who: string): BusImpl {
    const bus = typeof name === 'string' ? this.busesByName.get(name) : undefined;
    if (bus === undefined) {
      throw new SimError(
        'SIM_ERR_BUS_UNKNOWN',
        `${who}: no bus named ${show(name)}; known buses: ${[...this.busesByName.keys()].join(', ')} (add one with kernel.busRegister())`,
      );
    }
    return bus;
  }

  buses(): Bus[] {
    return [...this.busesByName.values()];
  }

  /** Kernel.busRegister(): models bus_register(), drivers/base/bus.c, for a bus of the user's own. */
  busRegister(type: BusTypeSpec): Bus {
    const k = this.k;
    k.checkUsable();
    if (typeof type !== 'object' || type === null || typeof type.name !== 'string' || !/^[\w.-]+$/.test(type.name)) {
      throw new SimError(
        'SIM_ERR_BUS_BAD_SPEC',
        `a bus needs { name } with letters, digits, '.', '_' or '-', got ${show(type)}`,
      );
    }
    if (this.busesByName.has(type.name)) {
      throw new SimError('SIM_ERR_BUS_BAD_SPEC', `bus '${type.name}' is already registered; pick another name`);
    }
    for (const key of ['match', 'probe', 'remove'] as const) {
      if (type[key] !== undefined && typeof type[key] !== 'function') {
        throw new SimError(
          'SIM_ERR_BUS_BAD_SPEC',
          `bus '${type.name}': ${key} must be a function, got ${show(type[key])}`,
        );
      }
    }
    const bus = this.addBus(customBusOps(k, type));
    k.journalUndo(() => {
      if (this.busesByName.get(bus.name) !== bus) return;
      this.busesByName.delete(bus.name);
      k.forgetChain(bus.notifier);
    });
    return bus;
  }

  /** Kernel.device(): a device by name, on one bus or the first that has it. */
  device(name: string, bus?: string): Device | undefined {
    checkString(name, 'kernel.device()', 'the device name', "'0000:01:00.0'");
    if (bus !== undefined) return this.busOrThrow(bus, 'kernel.device()').devicesByName.get(name);
    for (const b of this.busesByName.values()) {
      const dev = b.devicesByName.get(name);
      if (dev !== undefined) return dev;
    }
    return undefined;
  }

  /** A device by name for an API call; a SimError naming the fix when there is none. */
  deviceOrThrow(name: unknown, bus: string | undefined, who: string): DeviceImpl {
    const dev = typeof name === 'string' ? (this.device(name, bus) as DeviceImpl | undefined) : undefined;
    if (dev === undefined) {
      throw new SimError(
        'SIM_ERR_DEVICE_UNKNOWN',
        `${who}: no device named ${show(name)}${bus === undefined ? '' : ` on bus '${bus}'`}; registered devices: ${this.deviceNames()}`,
      );
    }
    return dev;
  }

  private deviceNames(): string {
    const names = this.devices().map((d) => d.name);
    return names.length === 0 ? 'none' : names.length > 12 ? `${names.slice(0, 12).join(', ')}, ...` : names.join(', ');
  }

  devices(): Device[] {
    const out: Device[] = [];
    for (const b of this.busesByName.values()) out.push(...b.devicesByName.values());
    return out;
  }

  driver(name: string, bus: string): Driver | undefined {
    checkString(name, 'kernel.driver()', 'the driver name', "'nouveau'");
    return this.busOrThrow(bus, 'kernel.driver()').driversByName.get(name);
  }

  /** True when some device is bound to a driver of this name (on any bus). */
  isDriverBound(name: string): boolean {
    for (const b of this.busesByName.values()) {
      const drv = b.driversByName.get(name);
      if (drv !== undefined && drv.devices_.size > 0) return true;
    }
    return false;
  }

  /** Kernel.addDevice(): the bus checks the spec, then device_add() runs as one operation. */
  addDevice(spec: DeviceSpec): number | null {
    const k = this.k;
    k.checkUsable();
    if (typeof spec !== 'object' || spec === null) {
      throw new SimError(
        'SIM_ERR_DEVICE_BAD_SPEC',
        `addDevice() takes a device spec such as { bus: 'pci', address, vendor, device }, got ${show(spec)}`,
      );
    }
    const bus = this.busOrThrow(spec.bus, 'addDevice()');
    const run = bus.ops.prepareAdd(spec);
    return k.op('device_add', describeSpec(spec), run);
  }

  /** Kernel.removeDevice(): device_unregister() of the device and the devices below it, as one operation. */
  removeDevice(name: string, bus?: string): number | null {
    const k = this.k;
    k.checkUsable();
    const dev = this.deviceOrThrow(name, bus, 'removeDevice()');
    return k.op('device_unregister', dev.name, () => {
      if (!dev.isRegistered) return 0;
      if (dev.bus.ops.removeDevice !== undefined) return dev.bus.ops.removeDevice(dev);
      return this.unregisterTree(dev);
    });
  }

  /** Undoes a device_add() of a failed plugin setup: the device goes as removeDevice() would take it. */
  undoAdd(dev: DeviceImpl): void {
    if (dev.isRegistered && dev.bus.devicesByName.get(dev.name) === dev) this.removeDevice(dev.name, dev.bus.name);
  }

  /** Models device_unregister() of a device and, first, the devices below it (last added first). */
  *unregisterTree(dev: DeviceImpl): Sleepable<number> {
    if (dev.children !== null) {
      const kids = [...dev.children.values()].reverse();
      for (const child of kids) if (child.isRegistered) yield* this.unregisterTree(child);
    }
    yield* deviceDel(this.k, dev);
    return 0;
  }

  /** Kernel.registerDriver(): models driver_register(), drivers/base/driver.c, as one operation. */
  registerDriver(spec: DriverSpec): number | null {
    const k = this.k;
    k.checkUsable();
    const drv = makeDriver(k, spec);
    const ret = k.op('driver_register', `${drv.bus.name}/${drv.name}`, () => this.registerTraced(drv));
    if (ret === 0) {
      k.journalUndo(() => {
        if (drv.registered && drv.bus.driversByName.get(drv.name) === drv)
          this.unregisterDriver(drv.name, drv.bus.name);
      });
    }
    return ret;
  }

  /** driver_register(), traced. */
  private *registerTraced(drv: DriverImpl): Sleepable<number> {
    const k = this.k;
    const ret = yield* driverRegister(k, drv);
    if (k.tracing) k.tracer.emit({ type: 'driver', what: 'register', driver: drv.name, bus: drv.bus.name, ret });
    return ret;
  }

  /** driver_unregister() and the bus's cleanup (PCI's dynamic ids), traced. */
  private *unregisterTraced(drv: DriverImpl, b: BusImpl): Sleepable<number> {
    const k = this.k;
    yield* driverUnregister(k, drv);
    b.ops.driverUnregistered?.(drv);
    if (k.tracing) k.tracer.emit({ type: 'driver', what: 'unregister', driver: drv.name, bus: b.name, ret: 0 });
    return 0;
  }

  /** Kernel.unregisterDriver(): models driver_unregister(), drivers/base/driver.c, as one operation. */
  unregisterDriver(name: string, bus: string): number | null {
    const k = this.k;
    k.checkUsable();
    const b = this.busOrThrow(bus, 'unregisterDriver()');
    const drv = b.driversByName.get(name);
    if (drv === undefined) {
      throw new SimError(
        'SIM_ERR_DRIVER_UNKNOWN',
        `unregisterDriver(): no driver ${show(name)} on bus '${bus}'; registered: ${[...b.driversByName.keys()].join(', ') || 'none'}`,
      );
    }
    const dynids = [...drv.dynids_];
    const ret = k.op('driver_unregister', `${bus}/${name}`, () => this.unregisterTraced(drv, b));
    if (ret === 0) {
      // Undone by registering the same driver again, with the dynamic ids it had.
      k.journalUndo(() => {
        if (drv.registered || b.driversByName.has(name)) return;
        k.op('driver_register', `${bus}/${name}`, () => {
          drv.dynids_.push(...dynids);
          return driverRegister(k, drv);
        });
      });
    }
    return ret;
  }
}

function describeSpec(spec: DeviceSpec): string {
  return 'address' in spec ? String(spec.address) : String(spec.name);
}
