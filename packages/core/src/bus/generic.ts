import type { BusOps } from '../base/bus.ts';
import { deviceAdd } from '../base/core.ts';
import { DeviceImpl } from '../base/device.ts';
import { SimError, show } from '../errors/sim-error.ts';
import type { BusTypeSpec } from '../kernel/kernel.ts';
import type { KernelImpl } from '../kernel/kernel-impl.ts';
import { checkName, checkOfNode, checkProps } from './spec.ts';

/** Checks what a user's bus callback returned. */
function checkRet(bus: string, what: string, ret: unknown): number {
  if (typeof ret !== 'number' || (ret | 0) !== ret) {
    throw new SimError('SIM_ERR_BUS_BAD_SPEC', `bus '${bus}': ${what} returned ${show(ret)}; return a 32-bit integer`);
  }
  return ret as number;
}

/** A bus of the user's own (kernel.busRegister()): their match, probe and remove. */
export function customBusOps(k: KernelImpl, type: BusTypeSpec): BusOps {
  const { match, probe, remove } = type;
  return {
    name: type.name,
    custom: true,
    match: match === undefined ? () => 1 : (dev, drv) => checkRet(type.name, 'match', match(dev, drv)),
    probe: probe === undefined ? null : (dev) => checkRet(type.name, 'probe', probe(dev)),
    remove: remove === undefined ? null : (dev) => void remove(dev),
    checkId: (driver, id) => {
      if (typeof id !== 'string') {
        throw new SimError(
          'SIM_ERR_DRIVER_BAD_SPEC',
          `driver '${driver}': ids on bus '${type.name}' are names, got ${show(id)}`,
        );
      }
      return id;
    },
    prepareAdd: (raw) => {
      const spec = raw as Record<string, unknown>;
      const name = checkName(spec.name, `device name on bus '${type.name}'`);
      const parent =
        spec.parent === undefined ? null : k.deviceOrThrow(spec.parent, undefined, `device '${name}' parent`);
      const ofNode = checkOfNode(spec.ofNode, name);
      const props = checkProps(spec.props, name);
      return () => {
        const bus = k.busesByName.get(type.name)!;
        const container = parent ?? k.container(null);
        const dev = new DeviceImpl('generic', name, bus, parent, '/sys/devices', container, ofNode, props);
        return deviceAdd(k, dev);
      };
    },
  };
}
