import { CORE_PROFILES, type Plugin, type ProfileDef } from '@sim/core';
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
  /** Drivers it registers, so that steps naming their sysfs directories validate before the run. */
  readonly drivers?: readonly { readonly bus: string; readonly name: string }[];
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
export const PLUGINS: readonly PluginEntry[] = [];

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
