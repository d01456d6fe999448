import { CORE_PROFILES, type Kernel, type Plugin, type ProfileDef } from '@sim/core';
import { iommuGroupPlugin } from '@sim/iommu-group';
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
  /** Whether it makes /sys/kernel/iommu_groups (so those paths validate). */
  readonly iommuGroups?: boolean;
  /** /dev nodes it creates, as patterns of the path after /dev/ (e.g. /^vfio\/(vfio|\d+)$/). */
  readonly devNodes?: readonly RegExp[];
  /** Whether the topology's `iommuGroup` on devices means something to it. */
  readonly usesIommuGroups?: boolean;
}

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
  },
];

/** The entry of a name, or undefined. */
export function pluginEntry(name: string): PluginEntry | undefined {
  return PLUGINS.find((p) => p.name === name);
}

/** A profile and the plugin (registry name) that defines it, or null for core's. */
export interface KnownProfile extends ProfileDef {
  readonly plugin: string | null;
}

let knownProfilesCache: KnownProfile[] | null = null;

/** Every profile: core's, then each plugin's (learned from a plugin made with default options). */
export function knownProfiles(): KnownProfile[] {
  if (knownProfilesCache !== null) return knownProfilesCache;
  const out: KnownProfile[] = CORE_PROFILES.map((p) => ({ ...p, plugin: null }));
  for (const entry of PLUGINS) {
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
  knownProfilesCache = out;
  return out;
}

/** Plugins a profile needs (the registry entry that defines it, and that entry's dependencies). */
export function pluginsForProfile(name: string): string[] {
  const p = knownProfiles().find((q) => q.name === name);
  if (p === undefined || p.plugin === null) return [];
  const entry = pluginEntry(p.plugin);
  return [...(entry?.dependencies ?? []), p.plugin];
}
