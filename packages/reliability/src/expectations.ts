import {
  answerValue,
  BUS_NOTIFY_ADD_DEVICE,
  BUS_NOTIFY_BIND_DRIVER,
  BUS_NOTIFY_BOUND_DRIVER,
  BUS_NOTIFY_DRIVER_NOT_BOUND,
  BUS_NOTIFY_UNBIND_DRIVER,
  BUS_NOTIFY_UNBOUND_DRIVER,
  busNotifyName,
  type InjectAnswer,
  NOTIFY_BAD,
  NOTIFY_STOP_MASK,
} from '@sim/core';
import type { Outcome } from './fault-matrix.ts';

/**
 * What v4.12 and the seed patch do with a bus notifier's answer, written from the source rather than from sim:
 * - drivers/base/core.c device_add() and device_del(), drivers/base/dd.c driver_bound(), really_probe()'s
 *   DRIVER_NOT_BOUND and __device_release_driver() all call blocking_notifier_call_chain() and ignore its return:
 *   the operation's result and the device's state are those of a run with no answer at all.
 * - drivers/base/dd.c driver_sysfs_add() ignores the BIND_DRIVER answer in v4.12; with the seed patch it returns
 *   -EINVAL when the answer is exactly NOTIFY_BAD, really_probe() takes probe_failed (no probe, no links), and
 *   bind_store() turns the 0 from really_probe() into -ENODEV.
 * - kernel/notifier.c notifier_call_chain() stops at any answer with NOTIFY_STOP_MASK: later blocks are skipped.
 */
export function expectedBusOutcome(
  action: number,
  answer: InjectAnswer,
  flags: readonly string[],
  device: { bus: string; name: string; driver: string },
  kernel: '4.12' | '6.12' = '4.12',
): Outcome {
  if (kernel === '6.12') return expectedBusOutcomeModern(action, answer, device);
  const value = answerValue(answer);
  const skipped = (value & NOTIFY_STOP_MASK) !== 0 ? [`observer (${device.bus})`] : [];
  const written = device.name.length + 1;
  const vetoed = action === BUS_NOTIFY_BIND_DRIVER && value === NOTIFY_BAD && flags.includes('stopBindOnNotifyBad');
  const base = { oops: null, skipped };
  switch (action) {
    case BUS_NOTIFY_ADD_DEVICE:
      return { ...base, result: 'add -> 0', driver: device.driver };
    case BUS_NOTIFY_BIND_DRIVER:
    case BUS_NOTIFY_BOUND_DRIVER:
      return vetoed
        ? { ...base, result: 'bind -> -ENODEV', driver: null }
        : { ...base, result: `bind -> ${written}`, driver: device.driver };
    case BUS_NOTIFY_DRIVER_NOT_BOUND:
      return { ...base, result: 'bind -> -ENODEV', driver: null };
    case BUS_NOTIFY_UNBIND_DRIVER:
    case BUS_NOTIFY_UNBOUND_DRIVER:
      return { ...base, result: `unbind -> ${written}`, driver: null };
    default:
      if (busNotifyName(action) === undefined) throw new Error(`not a bus action: ${action}`);
      return { ...base, result: 'remove -> 0', driver: null };
  }
}

/**
 * What 6.12 does with a bus notifier's answer (drivers/base/bus.c bus_notify(), v6.3 on): nothing; bus_notify()
 * returns void to every caller in drivers/base, so the operation's result and the device's state are those of a
 * run with no answer at all. The stop rule of notifier_call_chain() still holds inside the chain. A probe that fails
 * returns its own errno to the bind write (drivers/base/dd.c device_driver_attach(), v5.14): -ENOMEM here. `action`
 * is the event's v4.12 value, naming the event.
 */
export function expectedBusOutcomeModern(
  action: number,
  answer: InjectAnswer,
  device: { bus: string; name: string; driver: string },
): Outcome {
  const value = answerValue(answer);
  const skipped = (value & NOTIFY_STOP_MASK) !== 0 ? [`observer (${device.bus})`] : [];
  const written = device.name.length + 1;
  const base = { oops: null, skipped };
  switch (action) {
    case BUS_NOTIFY_ADD_DEVICE:
      return { ...base, result: 'add -> 0', driver: device.driver };
    case BUS_NOTIFY_BIND_DRIVER:
    case BUS_NOTIFY_BOUND_DRIVER:
      return { ...base, result: `bind -> ${written}`, driver: device.driver };
    case BUS_NOTIFY_DRIVER_NOT_BOUND:
      return { ...base, result: 'bind -> -ENOMEM', driver: null };
    case BUS_NOTIFY_UNBIND_DRIVER:
    case BUS_NOTIFY_UNBOUND_DRIVER:
      return { ...base, result: `unbind -> ${written}`, driver: null };
    default:
      if (busNotifyName(action) === undefined) throw new Error(`not a bus action: ${action}`);
      return { ...base, result: 'remove -> 0', driver: null };
  }
}

/**
 * What an answer on the IOMMU group chain does (drivers/iommu/iommu.c v4.12, and the seed's plan):
 * - iommu_group_add_device() and iommu_group_remove_device() ignore the chain's return (ADD_DEVICE, DEL_DEVICE).
 * - iommu_bus_notifier() forwards BIND/BOUND/UNBIND/UNBOUND_DRIVER and returns 0 whatever the group chain said; with
 *   the `percolate` flag it returns the group chain's answer, so the bus chain stops too when the answer has the
 *   stop bit, and driver_sysfs_add() (with the seed flag) refuses a bind answered exactly NOTIFY_BAD.
 */
export function expectedGroupOutcome(action: number, answer: InjectAnswer, flags: readonly string[]): Outcome {
  const value = answerValue(answer);
  const stops = (value & NOTIFY_STOP_MASK) !== 0;
  const percolate = flags.includes('percolate');
  const forwarded = action >= 3 && action <= 6;
  const skipped = [
    ...(stops ? ['observer (iommu_group:1)'] : []),
    ...(stops && percolate && forwarded ? ['observer (pci)'] : []),
  ].sort();
  const vetoed = action === 3 && value === NOTIFY_BAD && percolate && flags.includes('stopBindOnNotifyBad');
  const base = { oops: null, skipped };
  switch (action) {
    case 1:
      return { ...base, result: 'add -> 0', driver: null };
    case 2:
      return { ...base, result: 'remove -> 0', driver: null };
    case 3:
    case 4:
      return vetoed
        ? { ...base, result: 'bind -> -ENODEV', driver: null }
        : { ...base, result: 'bind -> 13', driver: 'snd_hda_intel' };
    default:
      return { ...base, result: 'unbind -> 13', driver: null };
  }
}

/**
 * What acpi_lpss_platform_notify() (drivers/acpi/acpi_lpss.c v4.12, drivers/acpi/x86/lpss.c 6.12) leaves on the
 * platform family's LPSS device, whatever the injected block (registered after it) answers: it sets the PM domain on
 * ADD_DEVICE and BIND_DRIVER and clears it on DRIVER_NOT_BOUND, UNBOUND_DRIVER and DEL_DEVICE, so the device has
 * the domain exactly when it ends bound (a bind the seed stops is followed by DRIVER_NOT_BOUND, which clears it).
 */
export function withLpssPmDomain(o: Outcome): Outcome {
  return { ...o, pmDomain: o.driver === null ? null : 'acpi_lpss_pm_domain' };
}

/**
 * acpi_lpss_platform_notify()'s own answer on ADD_DEVICE when sysfs_create_group() fails (-ENOMEM): device_add()
 * ignores it (v4.12; 6.12's bus_notify() returns nothing), so the device is added and bound by autoprobe; a raw
 * negative errno has NOTIFY_STOP_MASK set, so the later block is not called.
 */
export function expectedLpssOwnAnswer(): Outcome {
  return {
    result: 'add -> 0',
    driver: 'i2c_designware',
    oops: null,
    skipped: ['observer (platform)'],
    pmDomain: 'acpi_lpss_pm_domain',
  };
}
