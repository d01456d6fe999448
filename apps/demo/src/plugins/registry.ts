import { acpiLpssPlugin } from '@sim/acpi-lpss';
import { CORE_PROFILES, type Kernel, type Plugin, type ProfileDef } from '@sim/core';
import { i2cdevPlugin } from '@sim/i2cdev';
import { IOMMU_GROUP_NOTIFY_EVENTS, iommuGroupNotifyName, iommuGroupPlugin } from '@sim/iommu-group';
import { keystonePlugin } from '@sim/keystone';
import { tceIommuPlugin } from '@sim/tce-iommu';
import {
  explainGroup,
  VFIO_GROUP_FLAGS_CONTAINER_SET,
  VFIO_GROUP_FLAGS_VIABLE,
  VFIO_GROUP_STATUS_SIZE,
  vfioPlugin,
} from '@sim/vfio';
import type { DeviceDecl } from '../scenario/types.ts';
import type { JsonSchema } from '../scenario/validator.ts';

/** What a plugin's factory may learn from the scenario besides its options. */
export interface PluginContext {
  /** The topology's devices (e.g. with the IOMMU group each one is declared in). */
  readonly devices: readonly DeviceDecl[];
}

/**
 * One plugin a scenario file can name. Scenario files never run code: they name an entry of this table, whose
 * package the app bundles, and give it options as data. The package's own factory checks the options.
 */
export interface PluginEntry {
  /** The name a scenario's `plugins:` uses, e.g. `vfio`. */
  readonly name: string;
  /** The package it comes from, e.g. `@sim/vfio`. */
  readonly package: string;
  /** One line for `sim list`. */
  readonly description: string;
  /** Entries that must be listed before this one in `plugins:`. */
  readonly dependencies: readonly string[];
  /** JSON Schema of its options (editors complete them; the factory still checks them). */
  readonly options: JsonSchema;
  /** Calls the package's factory; it throws a SimError (SIM_ERR_*_BAD_OPTION) for bad options. */
  create(options: Readonly<Record<string, unknown>>, context: PluginContext): Plugin;
  /** Drivers it registers with these options, so that steps naming their sysfs directories validate. */
  readonly drivers?: (
    options: Readonly<Record<string, unknown>>,
  ) => readonly { readonly bus: string; readonly name: string }[];
  /**
   * The ioctl commands of its /dev nodes. A command with `out` takes a structure the kernel fills in: the step
   * passes a fresh one and prints it.
   */
  readonly ioctls?: Readonly<Record<string, { readonly out?: { make(): object; show(arg: object): string } }>>;
  /** `sim explain --group N`: the text explaining an IOMMU group of a kernel (the package's explainer). */
  readonly explain?: (kernel: Kernel, group: number) => string;
  /** `sim explain --format json`: the same explanation as data (explain-output.schema.json's `explanation`). */
  readonly explainJson?: (kernel: Kernel, group: number) => unknown;
  /** Whether it makes /sys/kernel/iommu_groups (so those paths validate). */
  readonly iommuGroups?: boolean;
  /** /dev nodes it creates, as patterns of the path after /dev/ (e.g. /^vfio\/(vfio|\d+)$/). */
  readonly devNodes?: readonly RegExp[];
  /** Whether the topology's `iommuGroup` on devices means something to it. */
  readonly usesIommuGroups?: boolean;
  /**
   * Fields it reads on PCI devices of the topology (e.g. tce-iommu's `tce`): their schema; the values go to the
   * device's `props` under the same name.
   */
  readonly deviceFields?: Readonly<Record<string, JsonSchema>>;
  /** The same for platform devices (e.g. acpi-lpss's `acpi`, the ACPI companion). */
  readonly platformDeviceFields?: Readonly<Record<string, JsonSchema>>;
  /**
   * The notifier chains it makes, by name pattern, with their action names, so that `inject:` can name an action
   * (`IOMMU_GROUP_NOTIFY_BIND_DRIVER`) on them. Bus chains take the BUS_NOTIFY_* names without an entry here.
   */
  readonly chains?: readonly ChainFamily[];
  /**
   * For a plugin module loaded with `--plugin`: its path as given. Such an entry declares no drivers or /dev nodes;
   * the loader learns them from a kernel with the plugin set up.
   */
  readonly module?: string;
}

/** Chains a plugin makes: their names, and the names of their actions. */
export interface ChainFamily {
  /** Matches the chain names, e.g. /^iommu_group:\d+$/. */
  readonly pattern: RegExp;
  /** How the names read in messages, e.g. `iommu_group:N`. */
  readonly form: string;
  /** Action name -> value, e.g. IOMMU_GROUP_NOTIFY_BIND_DRIVER -> 3. */
  readonly actions: Readonly<Record<string, number>>;
}

/** The plugins a scenario may name: the built-in ones, then any plugin modules given on the command line. */
export type Registry = readonly PluginEntry[];

/**
 * The plugins the app knows. A plugin package lands, and its entry is added here; nothing else in the app names a
 * plugin.
 */
export const PLUGINS: readonly PluginEntry[] = [
  {
    name: 'iommu-group',
    package: '@sim/iommu-group',
    description: 'IOMMU groups, /sys/kernel/iommu_groups, the group notifier chain and iommu_bus_notifier.',
    dependencies: [],
    options: {
      type: 'object',
      additionalProperties: false,
      properties: {
        buses: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          description: "Buses with an IOMMU. Default ['pci'].",
        },
        rule: {
          type: 'string',
          enum: ['device', 'slot', 'bus', 'none'],
          description: 'Groups of the devices without an iommuGroup: one per device (default), slot or bus, or none.',
        },
        groups: {
          type: 'object',
          description: 'Device name -> group id or label (the same as iommuGroup on the device).',
          additionalProperties: {
            title: 'a group id or a label',
            oneOf: [
              { type: 'integer', minimum: 0 },
              { type: 'string', minLength: 1 },
            ],
          },
        },
      },
    },
    create: (options, { devices }) => {
      const groups: Record<string, number | string> = {
        ...(options.groups as Record<string, number | string> | undefined),
      };
      for (const d of devices) if (d.iommuGroup !== null) groups[d.name] = d.iommuGroup;
      return iommuGroupPlugin({ ...options, groups } as Parameters<typeof iommuGroupPlugin>[0]);
    },
    iommuGroups: true,
    usesIommuGroups: true,
    chains: [
      {
        pattern: /^iommu_group:\d+$/,
        form: 'iommu_group:N',
        actions: Object.fromEntries(IOMMU_GROUP_NOTIFY_EVENTS.map((a) => [iommuGroupNotifyName(a)!, a])),
      },
    ],
  },
  {
    name: 'vfio',
    package: '@sim/vfio',
    description: 'vfio-pci, vfio groups and /dev/vfio, the group notifier with its BUG_ON, and the veto of rfc-2017.',
    dependencies: ['iommu-group'],
    options: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ids: { type: 'string', description: "vfio-pci's ids module parameter, e.g. '10de:1b80,10de:10f0'." },
        pciStub: {
          title: 'true, false or { ids }',
          oneOf: [
            { type: 'boolean' },
            { type: 'object', additionalProperties: false, properties: { ids: { type: 'string' } } },
          ],
        },
        platform: { type: 'boolean', description: 'Also register vfio-platform.' },
      },
    },
    create: (options) => vfioPlugin(options),
    drivers: (options) => [
      { bus: 'pci', name: 'vfio-pci' },
      ...(options.pciStub !== undefined && options.pciStub !== false ? [{ bus: 'pci', name: 'pci-stub' }] : []),
      ...(options.platform === true ? [{ bus: 'platform', name: 'vfio-platform' }] : []),
    ],
    devNodes: [/^vfio\/(vfio|\d+)$/],
    ioctls: {
      VFIO_GET_API_VERSION: {},
      VFIO_CHECK_EXTENSION: {},
      VFIO_SET_IOMMU: {},
      VFIO_GROUP_GET_STATUS: {
        out: {
          make: () => ({ argsz: VFIO_GROUP_STATUS_SIZE, flags: 0 }),
          show: (arg) => {
            const flags = (arg as { flags: number }).flags;
            const names = [
              ...(flags & VFIO_GROUP_FLAGS_VIABLE ? ['VIABLE'] : []),
              ...(flags & VFIO_GROUP_FLAGS_CONTAINER_SET ? ['CONTAINER_SET'] : []),
            ];
            return `flags 0x${flags.toString(16)}${names.length === 0 ? '' : ` (${names.join(' | ')})`}\n`;
          },
        },
      },
      VFIO_GROUP_SET_CONTAINER: {},
      VFIO_GROUP_UNSET_CONTAINER: {},
      VFIO_GROUP_GET_DEVICE_FD: {},
    },
    explain: (kernel, group) => explainGroup(kernel, group).text,
    explainJson: (kernel, group) => explainGroup(kernel, group),
  },
  {
    name: 'keystone',
    package: '@sim/keystone',
    description:
      'keystone_platform_notifier: the DMA pfn offset for platform devices on a Keystone 2 machine, NOTIFY_BAD for NULL data.',
    dependencies: [],
    options: {
      type: 'object',
      additionalProperties: false,
      properties: {
        physOffset: {
          type: 'integer',
          minimum: 0,
          description: 'PHYS_OFFSET; the notifier registers only from the high alias (default 0x800000000).',
        },
      },
    },
    create: (options) => keystonePlugin(options),
  },
  {
    name: 'i2cdev',
    package: '@sim/i2cdev',
    description: 'i2c-dev: a /dev/i2c-N node per adapter from the i2c bus notifier, -ENODEV past I2C_MINORS.',
    dependencies: [],
    options: {
      type: 'object',
      additionalProperties: false,
      properties: {
        minors: {
          type: 'integer',
          minimum: 1,
          maximum: 1048576,
          description: 'I2C_MINORS: adapters numbered from this up get no node (default 1048575; 256 before v4.10).',
        },
      },
    },
    create: (options) => i2cdevPlugin(options),
    devNodes: [/^i2c-\d+$/],
  },
  {
    name: 'tce-iommu',
    package: '@sim/tce-iommu',
    description: "powerpc's tce_iommu_bus_notifier: PCI devices join their PE's IOMMU group; the add's raw errno.",
    dependencies: ['iommu-group'],
    options: {
      type: 'object',
      additionalProperties: false,
      properties: {
        platform: {
          type: 'string',
          enum: ['auto', 'powernv', 'pseries'],
          description: "Default 'auto' (PowerNV from the machine).",
        },
        pageShift: { type: 'integer', enum: [12, 16], description: "The kernel's PAGE_SHIFT (default 12)." },
      },
    },
    create: (options) => tceIommuPlugin(options),
    iommuGroups: true,
    deviceFields: {
      tce: {
        type: 'object',
        description:
          'The TCE table of the device (tce-iommu): its PE, PHB, IOMMU page shift, and whether it is linked.',
        additionalProperties: false,
        required: ['pe'],
        properties: {
          pe: { type: 'integer', minimum: 0 },
          phb: { type: 'integer', minimum: 0, maximum: 65535 },
          pageShift: { type: 'integer', minimum: 12, maximum: 24 },
          linked: { type: 'boolean' },
        },
      },
    },
  },
  {
    name: 'acpi-lpss',
    package: '@sim/acpi-lpss',
    description:
      "Intel LPSS's acpi_lpss_platform_notify: the PM domain on ADD/BIND, the lpss_ltr group and its raw errno on ADD_DEVICE.",
    dependencies: [],
    options: {
      type: 'object',
      additionalProperties: false,
      properties: {
        acpi: {
          title: "'auto', true or false",
          oneOf: [{ const: 'auto' }, { type: 'boolean' }],
          description: "An x86 ACPI kernel with CONFIG_X86_INTEL_LPSS. Default 'auto' (a machine without compatible).",
        },
      },
    },
    create: (options) => acpiLpssPlugin(options),
    platformDeviceFields: {
      acpi: {
        type: 'object',
        description:
          "The device's ACPI companion (acpi-lpss): its _HID (name the device '<HID>:00'), _CIDs, memory resource size, _STA present.",
        additionalProperties: false,
        required: ['hid'],
        properties: {
          hid: { type: 'string', pattern: '^[A-Z0-9]{7,8}$' },
          cids: { type: 'array', items: { type: 'string', pattern: '^[A-Z0-9]{7,8}$' } },
          mmio: { type: 'integer', minimum: 1, maximum: 0xffffffff },
          present: { type: 'boolean' },
        },
      },
    },
  },
];

/** The entry of a name, or undefined. */
export function pluginEntry(name: string, registry: Registry = PLUGINS): PluginEntry | undefined {
  return registry.find((p) => p.name === name);
}

/** A profile and the plugin (registry name) that defines it, or null for core's. */
export interface KnownProfile extends ProfileDef {
  readonly plugin: string | null;
}

const knownProfilesCache = new WeakMap<Registry, KnownProfile[]>();

/** Every profile: core's, then each plugin's (learned from a plugin made with default options). */
export function knownProfiles(registry: Registry = PLUGINS): KnownProfile[] {
  const cached = knownProfilesCache.get(registry);
  if (cached !== undefined) return cached;
  const out: KnownProfile[] = CORE_PROFILES.map((p) => ({ ...p, plugin: null }));
  for (const entry of registry) {
    let plugin: Plugin;
    try {
      plugin = entry.create({}, { devices: [] });
    } catch {
      continue;
    }
    for (const p of plugin.profiles ?? []) {
      if (!out.some((q) => q.name === p.name)) out.push({ ...p, plugin: entry.name });
    }
  }
  knownProfilesCache.set(registry, out);
  return out;
}

/** Plugins a profile needs (the registry entry that defines it, and that entry's dependencies). */
export function pluginsForProfile(name: string): string[] {
  const p = knownProfiles().find((q) => q.name === name);
  if (p === undefined || p.plugin === null) return [];
  const entry = pluginEntry(p.plugin);
  return [...(entry?.dependencies ?? []), p.plugin];
}

/**
 * The machine of the seed's due-diligence run: a Keystone 2 board (keystone's notifier registers only there; the
 * others are told their platform: PowerNV for tce-iommu, an ACPI x86 kernel for acpi-lpss).
 */
export const DUE_DILIGENCE_MACHINE = { compatible: ['ti,k2hk-evm', 'ti,k2hk', 'ti,keystone'], model: 'K2HK EVM' };

/** The blocks the seed's due-diligence paragraph names as the only ones answering anything but 0/OK/DONE. */
export const SEED_CLAIM: readonly string[] = [
  'keystone_platform_notifier',
  'tce_iommu_bus_notifier',
  'i2cdev_notifier_call',
];

/**
 * The plugins of the due diligence, fresh for each kernel of the run: all six: keystone, a PowerNV TCE IOMMU
 * without the generic IOMMU driver on PCI, vfio, i2c-dev (the seed's paragraph names keystone's, tce-iommu's and
 * i2c-dev's notifiers), and Intel LPSS on an ACPI x86 kernel, the one the paragraph left out.
 */
export function dueDiligencePlugins(): Plugin[] {
  return [
    keystonePlugin(),
    iommuGroupPlugin({ buses: [] }),
    tceIommuPlugin({ platform: 'powernv' }),
    vfioPlugin(),
    i2cdevPlugin(),
    acpiLpssPlugin({ acpi: true }),
  ];
}
