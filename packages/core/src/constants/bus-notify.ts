/**
 * Bus notifier events. The top-level constants are include/linux/device.h's of v4.12 (1..8), the values sim's
 * default kernel uses. Linux v6.3 turned them into `enum bus_notifier_event` (include/linux/device/bus.h) with no
 * initialisers, so from v6.3 on they run from 0: BIND_DRIVER is 3, not 4. A notifier meant for every kernel takes
 * the values of the kernel it runs in, `kernel.busEvents` (a BusNotifyTable), not these constants. Each event is
 * sent with the target device as data.
 */

/** device added (v4.12 value; `kernel.busEvents.BUS_NOTIFY_ADD_DEVICE` is the running kernel's) */
export const BUS_NOTIFY_ADD_DEVICE = 0x00000001;
/** device to be removed (v4.12 value) */
export const BUS_NOTIFY_DEL_DEVICE = 0x00000002;
/** device removed (v4.12 value) */
export const BUS_NOTIFY_REMOVED_DEVICE = 0x00000003;
/** driver about to be bound (v4.12 value; 3 from v6.3) */
export const BUS_NOTIFY_BIND_DRIVER = 0x00000004;
/** driver bound to device (v4.12 value) */
export const BUS_NOTIFY_BOUND_DRIVER = 0x00000005;
/** driver about to be unbound (v4.12 value) */
export const BUS_NOTIFY_UNBIND_DRIVER = 0x00000006;
/** driver is unbound from the device (v4.12 value) */
export const BUS_NOTIFY_UNBOUND_DRIVER = 0x00000007;
/** driver fails to be bound (v4.12 value) */
export const BUS_NOTIFY_DRIVER_NOT_BOUND = 0x00000008;

/** The bus notifier events of v4.12, in value order. */
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

/** A bus notifier event value of v4.12. */
export type BusNotifyAction = (typeof BUS_NOTIFY_EVENTS)[number];

/** The names of the bus notifier events, in the order both kernels number them. */
export const BUS_NOTIFY_NAMES = [
  'BUS_NOTIFY_ADD_DEVICE',
  'BUS_NOTIFY_DEL_DEVICE',
  'BUS_NOTIFY_REMOVED_DEVICE',
  'BUS_NOTIFY_BIND_DRIVER',
  'BUS_NOTIFY_BOUND_DRIVER',
  'BUS_NOTIFY_UNBIND_DRIVER',
  'BUS_NOTIFY_UNBOUND_DRIVER',
  'BUS_NOTIFY_DRIVER_NOT_BOUND',
] as const;

/** A bus notifier event's name, e.g. `BUS_NOTIFY_BIND_DRIVER`. */
export type BusNotifyEventName = (typeof BUS_NOTIFY_NAMES)[number];

/**
 * One kernel's numbering of the bus events: each name's value (`table.BUS_NOTIFY_BIND_DRIVER` is 4 on v4.12 and 3 on
 * v6.12), the values in order, and the name of a value. `kernel.busEvents` is the running kernel's.
 */
export type BusNotifyTable = { readonly [N in BusNotifyEventName]: number } & {
  /** The events in value order. */
  readonly events: readonly number[];
  /** The name of a value (`name(3)` is BUS_NOTIFY_BIND_DRIVER on v6.12), or undefined. */
  name(action: number): BusNotifyEventName | undefined;
  /** The value of a name, or undefined for a name that is not a bus event (prototype names included). */
  value(name: string): number | undefined;
};

function makeTable(first: number): BusNotifyTable {
  const values = new Map<string, number>(BUS_NOTIFY_NAMES.map((n, i) => [n, first + i]));
  const table = {
    events: Object.freeze(BUS_NOTIFY_NAMES.map((_, i) => first + i)),
    name: (action: number) =>
      Number.isInteger(action) && action >= first && action < first + BUS_NOTIFY_NAMES.length
        ? BUS_NOTIFY_NAMES[action - first]
        : undefined,
    value: (name: string) => values.get(name),
  } as Record<string, unknown>;
  for (const [n, v] of values) table[n] = v;
  return Object.freeze(table) as unknown as BusNotifyTable;
}

/** include/linux/device.h of v4.12: `#define`s from 1 (BUS_NOTIFY_ADD_DEVICE) to 8 (BUS_NOTIFY_DRIVER_NOT_BOUND). */
export const BUS_NOTIFY_V4_12: BusNotifyTable = makeTable(1);
/** include/linux/device/bus.h:269-278 of 6.12: `enum bus_notifier_event` from 0 (renumbered in v6.3). */
export const BUS_NOTIFY_V6_12: BusNotifyTable = makeTable(0);

/**
 * Name of a bus notifier event in a kernel's numbering (default v4.12's): `busNotifyName(4) ===
 * 'BUS_NOTIFY_BIND_DRIVER'`; `busNotifyName(action, kernel)` (or `kernel.busEvents`) names it in the running
 * kernel's numbering, so `busNotifyName(3, kernel)` is BUS_NOTIFY_BIND_DRIVER on v6.12. `undefined` for other values.
 */
export function busNotifyName(
  action: number,
  events: BusNotifyTable | { readonly busEvents: BusNotifyTable } = BUS_NOTIFY_V4_12,
): BusNotifyEventName | undefined {
  return ('busEvents' in events ? events.busEvents : events).name(action);
}
