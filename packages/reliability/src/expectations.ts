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
  device: { name: string; driver: string },
): Outcome {
  const value = answerValue(answer);
  const skipped = (value & NOTIFY_STOP_MASK) !== 0 ? ['observer'] : [];
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
