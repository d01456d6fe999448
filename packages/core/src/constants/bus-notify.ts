/** Bus notifier events of include/linux/device.h (v4.12). Each is sent with the target device as data. */

/** device added */
export const BUS_NOTIFY_ADD_DEVICE = 0x00000001;
/** device to be removed */
export const BUS_NOTIFY_DEL_DEVICE = 0x00000002;
/** device removed */
export const BUS_NOTIFY_REMOVED_DEVICE = 0x00000003;
/** driver about to be bound */
export const BUS_NOTIFY_BIND_DRIVER = 0x00000004;
/** driver bound to device */
export const BUS_NOTIFY_BOUND_DRIVER = 0x00000005;
/** driver about to be unbound */
export const BUS_NOTIFY_UNBIND_DRIVER = 0x00000006;
/** driver is unbound from the device */
export const BUS_NOTIFY_UNBOUND_DRIVER = 0x00000007;
/** driver fails to be bound */
export const BUS_NOTIFY_DRIVER_NOT_BOUND = 0x00000008;

/** The bus notifier events, in value order. */
export const BUS_NOTIFY_EVENTS = [
  BUS_NOTIFY_ADD_DEVICE,
  BUS_NOTIFY_DEL_DEVICE,
  BUS_NOTIFY_REMOVED_DEVICE,
  BUS_NOTIFY_BIND_DRIVER,
  BUS_NOTIFY_BOUND_DRIVER,
  BUS_NOTIFY_UNBIND_DRIVER,
  BUS_NOTIFY_UNBOUND_DRIVER,
  BUS_NOTIFY_DRIVER_NOT_BOUND,
] as const;

/** A bus notifier event value. */
export type BusNotifyAction = (typeof BUS_NOTIFY_EVENTS)[number];

const NAMES = [
  '',
  'BUS_NOTIFY_ADD_DEVICE',
  'BUS_NOTIFY_DEL_DEVICE',
  'BUS_NOTIFY_REMOVED_DEVICE',
  'BUS_NOTIFY_BIND_DRIVER',
  'BUS_NOTIFY_BOUND_DRIVER',
  'BUS_NOTIFY_UNBIND_DRIVER',
  'BUS_NOTIFY_UNBOUND_DRIVER',
  'BUS_NOTIFY_DRIVER_NOT_BOUND',
];

/** Name of a bus notifier event (`busNotifyName(4) === 'BUS_NOTIFY_BIND_DRIVER'`), or `undefined`. */
export function busNotifyName(action: number): string | undefined {
  return action >= 1 && action <= 8 ? NAMES[action] : undefined;
}
