import fc from 'fast-check';
import { NAMES } from './harness.ts';

// Generators of scenario parts that mostly make sense (names of the machine they go with), so that many generated
// files load and run, with some nonsense mixed in so that many do not.

export const PCI = [
  { address: '0000:00:01.0', vendor: 0x8086, device: 0x1901, class: 0x060400, hdrType: 1 },
  { address: '0000:01:00.0', vendor: 0x10de, device: 0x1b80, class: 0x030000 },
  { address: '0000:01:00.1', vendor: 0x10de, device: 0x10f0, class: 0x040300 },
  { address: '0000:02:00.0', vendor: 0x8086, device: 0x10d3, class: 0x020000 },
];
export const DRIVERS = [
  { name: 'nouveau', bus: 'pci', ids: ['10de:1b80'] },
  { name: 'snd_hda_intel', bus: 'pci', ids: ['10de:10f0'] },
  { name: 'e1000e', bus: 'pci', ids: ['8086:10d3'] },
  { name: 'pci-stub', bus: 'pci' },
  { name: 'serial8250', bus: 'platform' },
  { name: 'pmic', bus: 'platform' },
  { name: 'codec', bus: 'platform' },
  { name: 'eeprom', bus: 'i2c' },
];
export const PLATFORM = ['serial8250', 'pmic', 'codec'];
const BUS_EVENTS = [
  'BUS_NOTIFY_ADD_DEVICE',
  'BUS_NOTIFY_DEL_DEVICE',
  'BUS_NOTIFY_BIND_DRIVER',
  'BUS_NOTIFY_BOUND_DRIVER',
  'BUS_NOTIFY_UNBIND_DRIVER',
  'BUS_NOTIFY_DRIVER_NOT_BOUND',
];
const GROUP_EVENTS = [
  'IOMMU_GROUP_NOTIFY_BIND_DRIVER',
  'IOMMU_GROUP_NOTIFY_ADD_DEVICE',
  'IOMMU_GROUP_NOTIFY_BOUND_DRIVER',
];
const ANSWERS = [
  'NOTIFY_BAD',
  'NOTIFY_STOP',
  'NOTIFY_OK',
  'NOTIFY_DONE',
  '-EBUSY',
  'notifier_from_errno(-EINVAL)',
  '0x8002',
  '-1',
];
/** Answers as a file writes them (numbers as numbers). */
const DATA_ANSWERS: readonly (string | number)[] = [
  'NOTIFY_BAD',
  'NOTIFY_STOP',
  'NOTIFY_OK',
  'NOTIFY_DONE',
  '-EBUSY',
  'notifier_from_errno(-EINVAL)',
  0x8002,
  -1,
];
const ERRNOS = ['-ENOMEM', '-ENODEV', '-EPROBE_DEFER', '-EIO', '-EWHAT', '-12', '-4096'];
const CHAINS = ['pci', 'platform', 'i2c', 'iommu_group:0', 'iommu_group:1', 'iommu_group:2', 'usb'];
const IOCTLS = [
  'VFIO_GET_API_VERSION',
  'VFIO_CHECK_EXTENSION',
  'VFIO_SET_IOMMU',
  'VFIO_GROUP_GET_STATUS',
  'VFIO_GROUP_SET_CONTAINER',
  'VFIO_GROUP_UNSET_CONTAINER',
  'VFIO_GROUP_GET_DEVICE_FD',
  'VFIO_FROB',
];

const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
const opt = (a: fc.Arbitrary<string>) => fc.option(a, { nil: '' });
const word = fc.oneof(
  { weight: 5, arbitrary: pick(NAMES) },
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
);

/** Names a step may use: the machine's, or (for the nonsense) the pools'. */
export interface Names {
  readonly pci: readonly string[];
  readonly platform: readonly string[];
  readonly drivers: readonly { readonly name: string; readonly bus: string }[];
  readonly chains: readonly string[];
  /** Only names of the machine, no nonsense: most such files load and run. */
  readonly clean?: boolean;
  /** The plugins in use (steps on /dev nodes and IOMMU groups only with theirs, when clean). */
  readonly plugins?: readonly string[];
}

const ALL: Names = {
  pci: PCI.map((p) => p.address),
  platform: PLATFORM,
  drivers: DRIVERS,
  chains: CHAINS,
};

const orPool = <T>(mine: readonly T[], pool: readonly T[], clean = false) =>
  mine.length === 0
    ? pick(pool)
    : clean
      ? pick(mine)
      : fc.oneof({ weight: 9, arbitrary: pick(mine) }, { weight: 1, arbitrary: pick(pool) });
/** A value of `good`, or now and then one of `bad` (never when clean). */
const mostly = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>, clean = false) =>
  clean ? good : fc.oneof({ weight: 5, arbitrary: good }, { weight: 1, arbitrary: bad });

/** Step lines a person might type on a machine with these names; a few with a wrong name or a wrong shape. */
export function stepLineFor(n: Names): fc.Arbitrary<string> {
  const c = n.clean === true;
  const pciDev = orPool(n.pci, ALL.pci, c);
  const platDev = orPool(n.platform, ALL.platform, c);
  const pciDrv = orPool(
    n.drivers.filter((d) => d.bus === 'pci').map((d) => d.name),
    DRIVERS.filter((d) => d.bus === 'pci').map((d) => d.name),
    c,
  );
  const platDrv = orPool(
    n.drivers.filter((d) => d.bus === 'platform').map((d) => d.name),
    PLATFORM,
    c,
  );
  const anyDrv = orPool(
    n.drivers.map((d) => d.name),
    DRIVERS.map((d) => d.name),
    c,
  );
  const topoDrv = orPool(
    n.drivers.filter((d) => DRIVERS.includes(d as never)).map((d) => d.name),
    DRIVERS.map((d) => d.name),
    c,
  );
  const sysfsOk = n.pci.length > 0 || !c;
  const sensible = fc.oneof(
    fc
      .tuple(pciDev, pciDrv, pick(['bind', 'unbind']))
      .map(([dev, drv, f]) => `echo ${dev} > /sys/bus/pci/drivers/${drv}/${f}`),
    fc
      .tuple(platDev, platDrv, pick(['bind', 'unbind']))
      .map(([dev, drv, f]) => `echo ${dev} > /sys/bus/platform/drivers/${drv}/${f}`),
    fc
      .tuple(pick(['pci-stub', 'vfio-pci', 'e1000e', '']), pciDev)
      .map(([drv, dev]) => `echo ${drv} > /sys/bus/pci/devices/${dev}/driver_override`),
    pciDev.map((dev) => `echo ${dev} > /sys/bus/pci/drivers_probe`),
    fc.constantFrom(
      'echo 1 > /sys/bus/pci/rescan',
      'echo 0 > /sys/bus/pci/drivers_autoprobe',
      'ls /sys/bus/pci/drivers',
      'ls /sys',
    ),
    fc
      .tuple(
        pick(['cat', 'ls', 'readlink', 'readlink -f']),
        pciDev,
        pick(['driver', 'driver_override', 'vendor', 'uevent', '']),
      )
      .map(([v, dev, f]) => `${v} /sys/bus/pci/devices/${dev}/${f}`),
    fc.tuple(pick(['modprobe', 'rmmod']), topoDrv).map(([v, d]) => `${v} ${d}`),
    fc.constantFrom('dmesg', 'dmesg -C'),
    fc
      .tuple(pick(['pci', 'platform']), pick(BUS_EVENTS), fc.oneof(pciDev, platDev, fc.constant('NULL')))
      .map(([b, e, d]) => `notify ${b} ${e} ${d}`),
    fc
      .tuple(
        orPool(n.chains, CHAINS, c),
        pick(['any', '4', '5']),
        pick(ANSWERS),
        opt(fc.integer({ min: -3, max: 3 }).map((x) => ` priority ${x * 100}`)),
        opt(fc.integer({ min: 1, max: 3 }).map((x) => ` times ${x}`)),
      )
      .map(([c, a, x, p, t]) => `inject ${c} ${a} ${x}${p}${t}`),
    fc
      .tuple(anyDrv, pick(ERRNOS.slice(0, 4)), opt(fc.integer({ min: 1, max: 3 }).map((x) => ` nth ${x}`)))
      .map(([d, e, x]) => `inject-probe ${d} ${e}${x}`),
  );
  const plugins = fc.oneof(
    fc.constantFrom('ls /sys/kernel/iommu_groups', 'ls /sys/kernel/iommu_groups/1/devices'),
    fc
      .tuple(
        pick(['open', 'close']),
        pick(['/dev/vfio/vfio', '/dev/vfio/0', '/dev/vfio/1', '/dev/i2c-0', '/dev/i2c-1']),
      )
      .map(([v, p]) => `${v} ${p}`),
    fc
      .tuple(
        pick(['/dev/vfio/vfio', '/dev/vfio/1', '/dev/vfio/0']),
        pick(IOCTLS),
        opt(pick(['/dev/vfio/vfio', '0000:01:00.0', 'VFIO_TYPE1_IOMMU', '1', '0x10'])),
      )
      .map(([p, c, a]) => `ioctl ${p} ${c}${a === '' ? '' : ` ${a}`}`),
  );
  // Nonsense: unknown verbs, missing or extra words, quotes left open.
  const nonsense = fc.oneof(
    fc.array(word, { minLength: 1, maxLength: 5 }).map((ws) => ws.join(' ')),
    fc
      .tuple(
        pick(['echo', 'cat', 'inject', 'inject-probe', 'ioctl', 'notify', 'modprobe']),
        fc.array(word, { maxLength: 4 }),
        pick(['', '"', "'", ' >', ' > /sys', ' > /proc/x']),
      )
      .map(([v, ws, tail]) => `${v} ${ws.join(' ')}${tail}`),
  );
  if (c) {
    // Only lines whose names exist: the machine's devices and drivers, the plugins' nodes.
    const mine: fc.Arbitrary<string>[] = [
      fc.constantFrom('dmesg', 'dmesg -C', 'ls /sys', 'echo 1 > /sys/bus/pci/rescan'),
    ];
    if (n.pci.length > 0) {
      mine.push(
        pciDev.map((dev) => `echo ${dev} > /sys/bus/pci/drivers_probe`),
        fc
          .tuple(
            pick(['cat', 'ls', 'readlink', 'readlink -f']),
            pciDev,
            pick(['driver', 'driver_override', 'vendor', 'uevent']),
          )
          .map(([v, dev, f]) => `${v} /sys/bus/pci/devices/${dev}/${f}`),
        fc.tuple(pciDev, pick(BUS_EVENTS)).map(([d, e]) => `notify pci ${e} ${d}`),
      );
      if (n.drivers.some((d) => d.bus === 'pci')) {
        mine.push(
          fc
            .tuple(pciDev, pciDrv, pick(['bind', 'unbind']))
            .map(([dev, drv, f]) => `echo ${dev} > /sys/bus/pci/drivers/${drv}/${f}`),
        );
      }
    }
    if (n.platform.length > 0 && n.drivers.some((d) => d.bus === 'platform')) {
      mine.push(
        fc
          .tuple(platDev, platDrv, pick(['bind', 'unbind']))
          .map(([dev, drv, f]) => `echo ${dev} > /sys/bus/platform/drivers/${drv}/${f}`),
      );
    }
    if (n.drivers.length > 0) {
      mine.push(
        fc.tuple(pick(['modprobe', 'rmmod']), topoDrv).map(([v, d]) => `${v} ${d}`),
        fc
          .tuple(anyDrv, pick(ERRNOS.slice(0, 4)), opt(fc.integer({ min: 1, max: 3 }).map((x) => ` nth ${x}`)))
          .map(([d, e, x]) => `inject-probe ${d} ${e}${x}`),
      );
    }
    mine.push(
      fc
        .tuple(
          pick(n.chains.filter((x) => !x.startsWith('iommu'))),
          pick([...BUS_EVENTS, 'any', '4']),
          pick(ANSWERS),
          opt(pick([' priority 100', ' times 1'])),
        )
        .map(([ch, a, x, o]) => `inject ${ch} ${a} ${x}${o}`),
    );
    if (n.plugins?.includes('vfio') === true) mine.push(plugins.filter((l) => !l.includes('i2c')));
    return fc.oneof(...mine);
  }
  return sysfsOk
    ? fc.oneof(
        { weight: 20, arbitrary: sensible },
        { weight: 3, arbitrary: plugins },
        { weight: 1, arbitrary: nonsense },
      )
    : fc.oneof(sensible, nonsense);
}

/** A step: a line, or { run, expect } with an expectation that may hold or not. */
export function stepFor(n: Names): fc.Arbitrary<unknown> {
  const line = stepLineFor(n);
  return fc.oneof(
    { weight: 3, arbitrary: line },
    fc.record({
      run: line,
      expect: fc.oneof(
        pick<unknown>([0, 13, -19, 'ok', 'error', 'oops', 'skipped', '-ENODEV', '-ENOENT', 'NOTIFY_BAD']),
        fc.record({ output: fc.string({ maxLength: 10 }) }),
      ),
    }),
  );
}

/** A step on any machine of the pools. */
export const step = stepFor(ALL);

/** An `inject:` entry on a machine with these names. */
export function injectEntryFor(n: Names): fc.Arbitrary<unknown> {
  const c = n.clean === true;
  const loaded = n.drivers.filter((d) => (d as { loaded?: boolean }).loaded !== false).map((d) => d.name);
  const chains = c ? n.chains.filter((x) => !x.startsWith('iommu')) : n.chains;
  const notifier = fc.record(
    {
      chain: orPool(chains, CHAINS, c),
      action: mostly(
        pick<string | number>(c ? [...BUS_EVENTS, 'any', 4] : [...BUS_EVENTS, ...GROUP_EVENTS, 'any']),
        pick<string | number>(['BUS_NOTIFY_FROB', -1, 4, 9]),
        c,
      ),
      answer: mostly(pick(DATA_ANSWERS), fc.integer({ min: -40000, max: 40000 }), c),
      priority: fc.integer({ min: -200, max: 200 }),
      times: mostly(fc.integer({ min: 1, max: 3 }), fc.constant(0), c),
    },
    { requiredKeys: ['chain', 'action', 'answer'] },
  );
  const probe = fc.record(
    {
      probe: orPool(
        loaded,
        DRIVERS.map((d) => d.name),
        c,
      ),
      errno: mostly(
        pick<string | number>(ERRNOS.filter((e) => e.startsWith('-E') && e !== '-EWHAT')),
        fc.oneof(fc.constant('-EWHAT'), fc.integer({ min: -5000, max: 1 })),
        c,
      ),
      nth: mostly(fc.integer({ min: 1, max: 4 }), fc.constant(0), c),
    },
    { requiredKeys: ['probe', 'errno'] },
  );
  return c && loaded.length === 0 ? notifier : fc.oneof(notifier, probe);
}

/** An `inject:` entry on any machine of the pools. */
export const injectEntry = injectEntryFor(ALL);

/** A `--inject` spec, good or not. */
export const injectSpec: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(
      pick(CHAINS),
      pick([...BUS_EVENTS, ...GROUP_EVENTS, 'any', '4']),
      pick(ANSWERS),
      opt(pick([',priority=10', ',times=1', ',times=0', ',prio=1'])),
    )
    .map(([c, a, x, o]) => `${c}:${a}=${x}${o}`),
  fc
    .tuple(
      opt(pick(['pci/', 'platform/', 'usb/'])),
      pick(DRIVERS.map((d) => d.name)),
      pick(ERRNOS),
      opt(pick(['@1', '@2', '@0', '@x'])),
    )
    .map(([b, d, e, n]) => `probe:${b}${d}=${e}${n}`),
  fc.string({ maxLength: 12 }),
);

const PLUGIN_SETS: readonly (readonly string[])[] = [
  [],
  [],
  ['iommu-group'],
  ['iommu-group', 'vfio'],
  ['iommu-group', 'vfio'],
  ['i2cdev'],
  ['keystone'],
  ['iommu-group', 'tce-iommu'],
  ['iommu-group', 'vfio', 'i2cdev'],
  ['vfio'],
];

/** A machine: plugins, devices and drivers from the pools. */
const machine = fc.record({
  clean: fc.boolean(),
  plugins: pick(PLUGIN_SETS),
  vfioOptions: fc.option(fc.record({ pciStub: fc.boolean(), ids: pick(['10de:10f0', '10de:1b80,10de:10f0', 'zz']) }), {
    nil: undefined,
    freq: 3,
  }),
  profile: fc.option(
    fc.oneof({ weight: 6, arbitrary: pick(['v4.12', 'v4.12+bind-veto', 'v6.12']) }, pick(['rfc-2017', 'v9'])),
    {
      nil: undefined,
      freq: 2,
    },
  ),
  pci: fc.subarray(PCI),
  groups: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }),
  platform: fc.subarray(PLATFORM),
  i2c: fc.boolean(),
  drivers: fc.subarray(DRIVERS),
  loaded: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
  probes: fc.array(pick<unknown>(['ok', 'ok', 'ok', 'ok', 'defer', '-ENOMEM', { deferUntil: 'pmic' }]), {
    minLength: 8,
    maxLength: 8,
  }),
});

/** A whole scenario as data: a machine, notifiers, injections and steps that use its names, expectations. */
export const scenario: fc.Arbitrary<Record<string, unknown>> = machine.chain((raw) => {
  const m = raw.clean
    ? {
        ...raw,
        plugins: raw.plugins.includes('iommu-group') || !raw.plugins.includes('vfio') ? raw.plugins : [],
        profile: raw.profile === 'v9' || raw.profile === 'rfc-2017' ? undefined : raw.profile,
        vfioOptions: raw.vfioOptions?.ids === 'zz' ? undefined : raw.vfioOptions,
      }
    : raw;
  const grouped = m.plugins.includes('iommu-group');
  const drivers = m.drivers.map((d, i) => ({
    ...d,
    loaded: m.loaded[i]!,
    probe: typeof m.probes[i] === 'object' && !m.drivers.some((x) => x.name === 'pmic') ? 'ok' : m.probes[i],
  }));
  const names: Names & { drivers: typeof drivers } = {
    pci: m.pci.map((p) => p.address),
    platform: m.platform,
    drivers,
    chains: [
      'pci',
      'platform',
      'i2c',
      ...(grouped ? m.groups.slice(0, m.pci.length).map((g) => `iommu_group:${g}`) : []),
    ],
    clean: m.clean,
    plugins: m.plugins,
  };
  const devNames = [...names.pci, ...names.platform];
  return fc
    .record({
      notifiers: fc.array(
        fc.record({
          bus: pick(['pci', 'platform', 'i2c']),
          name: pick(['veto', 'listener', 'errno']),
          answer: pick(DATA_ANSWERS),
          on: fc.subarray(BUS_EVENTS),
        }),
        { maxLength: 2 },
      ),
      inject: fc.array(injectEntryFor(names), { maxLength: 3 }),
      steps: fc.array(stepFor(names), { minLength: 1, maxLength: 8 }),
      expectDrivers:
        devNames.length === 0
          ? fc.constant({})
          : fc.dictionary(
              pick(devNames),
              orPool<string | null>([null, ...drivers.map((d) => d.name)], [null, 'nouveau', 'vfio-pci'], m.clean),
              { maxKeys: 3 },
            ),
      oops: fc.option(pick(['none', 'any', 'kernel BUG']), { nil: undefined }),
    })
    .map((g) => {
      const plugins: unknown[] = m.plugins.map((p) =>
        p === 'vfio' && m.vfioOptions !== undefined ? { name: 'vfio', options: m.vfioOptions } : p,
      );
      const devices: unknown[] = [
        ...m.pci.map((p, i) => ({ bus: 'pci', ...p, ...(grouped ? { iommuGroup: m.groups[i] } : {}) })),
        ...m.platform.map((name) => ({ bus: 'platform', name })),
        ...(m.i2c
          ? [
              { bus: 'i2c', kind: 'adapter', nr: 0 },
              { bus: 'i2c', kind: 'client', name: 'eeprom', adapter: 0, addr: 0x50 },
            ]
          : []),
      ];
      const notifiers = g.notifiers.filter(
        (n, i) => g.notifiers.findIndex((o) => o.name === n.name && o.bus === n.bus) === i,
      );
      return {
        ...(m.profile === undefined ? {} : { profile: m.profile }),
        ...(plugins.length === 0 ? {} : { plugins }),
        topology: { devices, drivers },
        ...(notifiers.length === 0 ? {} : { notifiers }),
        ...(g.inject.length === 0 ? {} : { inject: g.inject }),
        steps: g.steps,
        expect: { drivers: g.expectDrivers, ...(g.oops === undefined ? {} : { oops: g.oops }) },
      };
    });
});
