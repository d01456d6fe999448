import { NOTIFY_BAD } from '../constants/notifier.ts';
import type { NotifyOutcome } from '../kernel/trace.ts';
import { BUS_NOTIFY_VOID_EFFECT, type KernelVersion, LINUX_4_12 } from '../kernel/versions.ts';

/** What the driver core's caller of a bus notification does with the chain's answer. */
export interface CallerVerdict {
  /** The drivers/base function that calls the chain for this event. */
  readonly caller: string;
  readonly outcome: NotifyOutcome;
  readonly effect: string;
}

/** The drivers/base caller of each BUS_NOTIFY_* event (drivers/base/core.c, dd.c; the same in v4.12 and 6.12). */
const CALLERS: Readonly<Record<string, string>> = {
  BUS_NOTIFY_ADD_DEVICE: 'device_add',
  BUS_NOTIFY_DEL_DEVICE: 'device_del',
  BUS_NOTIFY_REMOVED_DEVICE: 'device_del',
  BUS_NOTIFY_BIND_DRIVER: 'driver_sysfs_add',
  BUS_NOTIFY_BOUND_DRIVER: 'driver_bound',
  BUS_NOTIFY_UNBIND_DRIVER: '__device_release_driver',
  BUS_NOTIFY_UNBOUND_DRIVER: '__device_release_driver',
  BUS_NOTIFY_DRIVER_NOT_BOUND: 'really_probe',
};

/**
 * What the driver core does with a bus chain's answer `ret` to `action` (in `version`'s numbering, default v4.12's),
 * under the seed's flag or not: every caller in v4.12 ignores it; with stopBindOnNotifyBad, driver_sysfs_add()
 * honours exactly NOTIFY_BAD; from v6.3 the callers go through bus_notify(), which returns nothing. The audit uses
 * it for chain calls that no driver-core caller made (the due-diligence run's NULL data, a plugin's exercise).
 * Models the callers of the bus notifier chain in drivers/base.
 */
export function busNotifyCaller(
  action: number,
  ret: number,
  stopBindOnNotifyBad: boolean,
  version: Pick<KernelVersion, 'busEvents' | 'busNotifyVoid'> = LINUX_4_12,
): CallerVerdict | null {
  const name = version.busEvents.name(action);
  const caller = name === undefined ? undefined : CALLERS[name];
  if (caller === undefined) return null;
  if (version.busNotifyVoid) return { caller, outcome: 'ignored', effect: BUS_NOTIFY_VOID_EFFECT };
  if (name === 'BUS_NOTIFY_BIND_DRIVER' && stopBindOnNotifyBad) {
    return ret === NOTIFY_BAD
      ? { caller, outcome: 'honoured', effect: 'driver_sysfs_add() returns -EINVAL: the bind stops before the probe' }
      : { caller, outcome: 'ignored', effect: 'driver_sysfs_add() stops a bind only on exactly NOTIFY_BAD' };
  }
  return { caller, outcome: 'ignored', effect: `${caller}() ignores the answer` };
}
