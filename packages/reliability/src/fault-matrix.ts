import {
  BUS_NOTIFY_ADD_DEVICE,
  BUS_NOTIFY_BIND_DRIVER,
  BUS_NOTIFY_BOUND_DRIVER,
  BUS_NOTIFY_DEL_DEVICE,
  BUS_NOTIFY_DRIVER_NOT_BOUND,
  BUS_NOTIFY_REMOVED_DEVICE,
  BUS_NOTIFY_UNBIND_DRIVER,
  BUS_NOTIFY_UNBOUND_DRIVER,
  busNotifyName,
  createKernel,
  type DeviceSpec,
  type DriverSpec,
  EBUSY,
  EINVAL,
  ENOMEM,
  errname,
  type InjectAnswer,
  type Kernel,
  type Plugin,
  type TraceEvent,
} from '@sim/core';

/** The answers every cell is tried with (the issue's list). */
export const ANSWERS: readonly { readonly label: string; readonly answer: InjectAnswer }[] = [
  { label: 'NOTIFY_BAD', answer: 'NOTIFY_BAD' },
  { label: 'notifierFromErrno(-EINVAL)', answer: { fromErrno: -EINVAL } },
  { label: 'raw -EBUSY', answer: { raw: -EBUSY } },
  { label: 'NOTIFY_STOP', answer: 'NOTIFY_STOP' },
];

/** What happened when the chain answered: the operation's result, the device's driver, an oops, collateral. */
export interface Outcome {
  /** The operation that sent the action, and what it returned (e.g. "bind -> -ENODEV"). */
  readonly result: string;
  /** The device's driver afterwards, or null. */
  readonly driver: string | null;
  /** The oops message, or null. */
  readonly oops: string | null;
  /** Blocks of the injected chain that were not called for the action because of the answer. */
  readonly skipped: readonly string[];
  /** The device's PM domain afterwards, for a family that reads one (the platform chain with acpi-lpss). */
  readonly pmDomain?: string | null;
}

/** How a cell's fault is made: an answer injected on the chain, or a fault of its own (e.g. a sysfs one). */
export interface Fault {
  readonly label: string;
  /** An injecting block's answer (notifier-error-inject). */
  readonly answer?: InjectAnswer;
  /** Or a fault put in some other way before the operation (the chain then gets no injecting block). */
  readonly inject?: (k: Kernel) => void;
}

/** One cell of the matrix. */
export interface Cell {
  readonly chain: string;
  readonly action: string;
  readonly answer: string;
  readonly profile: string;
  readonly outcome: Outcome;
}

/** A chain to inject into, with how to exercise each of its actions. */
export interface ChainFamily {
  /** The chain's name as kernel.chains() lists it (a stable one for a family of chains). */
  readonly chain: string;
  /** Heading and one-line description for the document. */
  readonly title: string;
  readonly actions: readonly { readonly value: number; readonly name: string }[];
  readonly profiles: readonly string[];
  readonly plugins?: () => readonly Plugin[];
  /** Builds the world; returns the chain name to inject into (it may only exist once devices do). Every chain
   * involved gets a block named `observer` at priority -100, after the injecting block. */
  setup(k: Kernel, action: number): string;
  /** Runs the operation that sends `action` and says what it returned. */
  exercise(k: Kernel, action: number): string;
  /** The device whose driver the cell reports. */
  readonly device: string;
  /** Rows of the family's own beyond action x ANSWERS (e.g. a plugin's own answer, made by a fault). */
  readonly extra?: readonly {
    readonly action: { readonly value: number; readonly name: string };
    readonly fault: Fault;
  }[];
  /** Reads what else the family reports of the device (its PM domain). */
  readonly pmDomain?: (k: Kernel) => string | null;
}

/** The device and driver a bus family uses instead of its default ones. */
export interface BusFamilyDevice {
  readonly device: DeviceSpec;
  /** dev_name() of the device. */
  readonly name: string;
  readonly driver: DriverSpec;
}

const fmt = (op: string, ret: number | null) =>
  `${op} -> ${ret === null ? 'killed (oops)' : ret < 0 ? `-${errname(ret) ?? -ret}` : String(ret)}`;

/** A bus chain family: one device and driver on `bus`, exercised through sysfs and the API. */
export function busFamily(
  bus: 'pci' | 'platform' | 'i2c',
  profiles: readonly string[],
  plugins?: () => readonly Plugin[],
  instead?: BusFamilyDevice,
  more: Partial<Pick<ChainFamily, 'extra' | 'pmDomain' | 'title'>> = {},
): ChainFamily {
  const device: DeviceSpec = instead?.device ?? defaultDevice(bus);
  const name = instead?.name ?? (bus === 'pci' ? '0000:01:00.0' : bus === 'platform' ? 'serial8250' : '0-0050');
  const driver: DriverSpec = instead?.driver ?? defaultDriver(bus);
  return busFamilyOf(bus, profiles, plugins, device, name, driver, more);
}

function defaultDevice(bus: 'pci' | 'platform' | 'i2c'): DeviceSpec {
  return bus === 'pci'
    ? { bus: 'pci', address: '0000:01:00.0', vendor: 0x10de, device: 0x1b80, class: 0x030000 }
    : bus === 'platform'
      ? { bus: 'platform', name: 'serial8250' }
      : { bus: 'i2c', kind: 'client', name: '24c02', adapter: 0, addr: 0x50 };
}

function defaultDriver(bus: 'pci' | 'platform' | 'i2c'): DriverSpec {
  return bus === 'pci'
    ? { name: 'nouveau', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x1b80 }], probe: 'ok' }
    : bus === 'platform'
      ? { name: 'serial8250', bus: 'platform', probe: 'ok' }
      : { name: 'at24', bus: 'i2c', ids: ['24c02'], probe: 'ok' };
}

function busFamilyOf(
  bus: 'pci' | 'platform' | 'i2c',
  profiles: readonly string[],
  plugins: (() => readonly Plugin[]) | undefined,
  device: DeviceSpec,
  name: string,
  driver: DriverSpec,
  more: Partial<Pick<ChainFamily, 'extra' | 'pmDomain' | 'title'>>,
): ChainFamily {
  const driverDir = `/sys/bus/${bus}/drivers/${driver.name}`;
  const actions = [
    BUS_NOTIFY_ADD_DEVICE,
    BUS_NOTIFY_DEL_DEVICE,
    BUS_NOTIFY_REMOVED_DEVICE,
    BUS_NOTIFY_BIND_DRIVER,
    BUS_NOTIFY_BOUND_DRIVER,
    BUS_NOTIFY_UNBIND_DRIVER,
    BUS_NOTIFY_UNBOUND_DRIVER,
    BUS_NOTIFY_DRIVER_NOT_BOUND,
  ].map((value) => ({ value, name: busNotifyName(value)! }));
  return {
    chain: bus,
    title: more.title ?? `The ${bus} bus chain (bus->p->bus_notifier)`,
    actions,
    profiles,
    plugins,
    device: name,
    ...(more.extra === undefined ? {} : { extra: more.extra }),
    ...(more.pmDomain === undefined ? {} : { pmDomain: more.pmDomain }),
    setup(k, action) {
      if (bus === 'i2c') k.addDevice({ bus: 'i2c', kind: 'adapter', name: 'SMBus' });
      // A later block on the chain: an answer with the stop bit keeps it from being called (collateral).
      k.bus(bus).registerNotifier({ name: 'observer', priority: -100, notifierCall: () => 0 });
      if (action === BUS_NOTIFY_ADD_DEVICE) {
        k.registerDriver(driver);
        return bus;
      }
      // Autoprobe off and the driver registered after the device: the device waits unbound (a PCI hot-add would
      // attach whatever autoprobe says).
      k.sysfs.write(`/sys/bus/${bus}/drivers_autoprobe`, '0');
      k.addDevice(device);
      k.registerDriver(driver);
      if (
        action !== BUS_NOTIFY_BIND_DRIVER &&
        action !== BUS_NOTIFY_BOUND_DRIVER &&
        action !== BUS_NOTIFY_DRIVER_NOT_BOUND
      ) {
        k.sysfs.write(`${driverDir}/bind`, name);
      }
      return bus;
    },
    exercise(k, action) {
      switch (action) {
        case BUS_NOTIFY_ADD_DEVICE:
          return fmt('add', k.addDevice(device));
        case BUS_NOTIFY_BIND_DRIVER:
        case BUS_NOTIFY_BOUND_DRIVER:
          return fmt('bind', k.sysfs.write(`${driverDir}/bind`, `${name}\n`));
        case BUS_NOTIFY_DRIVER_NOT_BOUND:
          k.inject.probe({ driver: driver.name, bus, errno: -ENOMEM, nth: 1 });
          return fmt('bind', k.sysfs.write(`${driverDir}/bind`, `${name}\n`));
        case BUS_NOTIFY_UNBIND_DRIVER:
        case BUS_NOTIFY_UNBOUND_DRIVER:
          return fmt('unbind', k.sysfs.write(`${driverDir}/unbind`, `${name}\n`));
        default:
          return fmt('remove', k.removeDevice(name, bus));
      }
    },
  };
}

/** Runs one cell: a fresh kernel under the profile, the injection, the operation. */
export function runCell(
  family: ChainFamily,
  action: { value: number; name: string },
  answer: Fault,
  profile: string,
): Cell {
  const k = createKernel({ profile, plugins: family.plugins?.() ?? [], dynamicDebug: false });
  const chain = family.setup(k, action.value);
  // A bus event is injected under the running kernel's number for it (BIND_DRIVER is 4 on v4.12, 3 on 6.12).
  if (answer.answer !== undefined) {
    k.inject.notifier({ chain, action: k.busEvents.value(action.name) ?? action.value, answer: answer.answer });
  }
  answer.inject?.(k);
  const { events } = k.trace.record();
  let result: string;
  try {
    result = family.exercise(k, action.value);
  } catch (e) {
    // A SimError here is the matrix's own bug (e.g. the kernel died earlier); show it rather than hide it.
    result = `error: ${(e as Error).message}`;
  }
  // Collateral anywhere: an answer can stop its own chain, and (passed on) the chain that called it.
  const skipped = new Set<string>();
  for (const e of events as TraceEvent[]) {
    if (e.type === 'chain.return') for (const b of e.skipped) skipped.add(`${b} (${e.chain})`);
  }
  return {
    chain: family.chain,
    action: action.name,
    answer: answer.label,
    profile,
    outcome: {
      result,
      driver: k.device(family.device)?.driver?.name ?? null,
      oops: k.oops?.message ?? null,
      skipped: [...skipped].sort(),
      ...(family.pmDomain === undefined ? {} : { pmDomain: family.pmDomain(k) }),
    },
  };
}

/** Every cell of a family. */
export function runFamily(family: ChainFamily): Cell[] {
  const cells: Cell[] = [];
  for (const action of family.actions) {
    for (const answer of ANSWERS)
      for (const profile of family.profiles) cells.push(runCell(family, action, answer, profile));
  }
  for (const { action, fault } of family.extra ?? []) {
    for (const profile of family.profiles) cells.push(runCell(family, action, fault, profile));
  }
  return cells;
}

/** A cell's outcome as the document shows it. */
export function describeOutcome(o: Outcome): string {
  const parts = [o.result, o.driver === null ? 'unbound' : `bound to ${o.driver}`];
  if (o.skipped.length > 0) parts.push(`skipped ${o.skipped.join(', ')}`);
  if (o.oops !== null) parts.push(`oops: ${o.oops}`);
  if (o.pmDomain !== undefined) parts.push(o.pmDomain === null ? 'no PM domain' : `PM domain ${o.pmDomain}`);
  return parts.join('; ');
}

/** The matrix as Markdown: one table per chain, rows action x answer, one column per profile. */
export function renderMatrix(families: readonly ChainFamily[], cells: readonly Cell[]): string {
  const lines = [
    '# Fault matrix',
    '',
    '<!-- Generated by `pnpm --filter @sim/reliability fault-matrix`; a test fails when it is out of date. -->',
    '',
    'What happens when a notifier on each chain answers each action with each of NOTIFY_BAD,',
    'notifierFromErrno(-EINVAL), a raw -EBUSY and NOTIFY_STOP, under each profile. Each cell runs on a fresh kernel:',
    'the injecting block (priority 0) is registered before a block named `observer` (priority -100), the operation',
    'that sends the action runs, and the cell shows what the operation returned, the device afterwards, the blocks',
    'the answer kept from being called, and any oops. The expectations the test checks every cell against are',
    'written from the v4.12 and 6.12 sources (packages/reliability/src/expectations.ts). Actions are named: under',
    "v6.12 each is sent with 6.12's number for it (BUS_NOTIFY_BIND_DRIVER is 3 there, 4 on v4.12). 6.12 has no",
    'IOMMU group chain (removed in v5.19), so that table has no v6.12 column. The platform table runs with',
    'acpi-lpss in use and an Intel LPSS device (INT33C2:00): each cell shows the PM domain acpi_lpss_platform_notify',
    "left (it runs before the injecting block), and its last row is acpi-lpss's own answer: sysfs_create_group()'s",
    'raw -ENOMEM on ADD_DEVICE, made by a sysfs fault (kernel.inject.sysfs) instead of an injecting block.',
  ];
  for (const family of families) {
    lines.push(
      '',
      `## ${family.title}`,
      '',
      `| action | answer | ${family.profiles.join(' | ')} |`,
      `|---|---|${family.profiles.map(() => '---').join('|')}|`,
    );
    for (const action of family.actions) {
      for (const answer of ANSWERS) {
        const row = family.profiles.map((profile) => {
          const cell = cells.find(
            (c) =>
              c.chain === family.chain &&
              c.action === action.name &&
              c.answer === answer.label &&
              c.profile === profile,
          );
          return cell === undefined ? '(missing)' : describeOutcome(cell.outcome);
        });
        lines.push(`| ${action.name} | ${answer.label} | ${row.join(' | ')} |`);
      }
    }
    for (const { action, fault } of family.extra ?? []) {
      const row = family.profiles.map((profile) => {
        const cell = cells.find(
          (c) =>
            c.chain === family.chain && c.action === action.name && c.answer === fault.label && c.profile === profile,
        );
        return cell === undefined ? '(missing)' : describeOutcome(cell.outcome);
      });
      lines.push(`| ${action.name} | ${fault.label} | ${row.join(' | ')} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}
