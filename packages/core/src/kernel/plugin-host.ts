/**
 * The plugin host: the plugins in use on one kernel, in setup order, and what they taught it (the flags and
 * profiles they declare, beside core's). It checks a plugin before it runs (its shape, its name used once, its
 * dependencies in use, the kernel base it supports), runs its setup with a journal of every change the setup makes
 * through the kernel API so that a setup that throws leaves the kernel as it was
 * (docs/decisions/2026-12-02-transactional-use.md), and runs the teardowns, last plugin first, when the kernel is
 * closed. It models no kernel file: it is how sim's packages (vfio, iommu-group, ...) are loaded, as modules are.
 */
import { SimError, show } from '../errors/sim-error.ts';
import type { Kernel, Plugin } from './kernel.ts';
import { CORE_FLAGS, CORE_PROFILES, type FlagDef, type Profile, type ProfileDef } from './profile.ts';
import type { KernelVersion } from './versions.ts';

/** What the plugin host needs of the kernel: the kernel itself, handed to each setup. */
export interface PluginHostKernel extends Kernel {
  readonly version: KernelVersion;
  readonly profile: Profile;
  /** True once the kernel oopsed or was closed (a dead kernel runs no more undos). */
  readonly unusable: boolean;
}

interface PluginEntry {
  plugin: Plugin;
  teardown: (() => void) | null;
}

/** The plugins in use on one kernel. */
export class PluginHost {
  /** Flags known to the kernel: core's, then each plugin's. */
  readonly flagDefs: FlagDef[] = [...CORE_FLAGS];
  /** Profiles known to the kernel: core's, then each plugin's. */
  readonly profileDefs: ProfileDef[] = [...CORE_PROFILES];
  private readonly entries: PluginEntry[] = [];
  /** While a plugin's setup runs: the undo of each change it made through the kernel API, in order. */
  private setupJournal: (() => void)[] | null = null;

  constructor(private readonly kernel: PluginHostKernel) {}

  /** Names of the plugins in use, in setup order. */
  names(): string[] {
    return this.entries.map((e) => e.plugin.name);
  }

  /**
   * Checks the plugins a kernel is created with, each against those before it in the list (by position: the
   * same object twice is a duplicate too), and learns their flags and profiles (before the profile is resolved).
   */
  admit(plugins: readonly Plugin[]): void {
    for (let i = 0; i < plugins.length; i++) {
      this.checkPlugin(
        plugins[i]!,
        plugins.slice(0, i).map((q) => q.name),
      );
    }
    for (const p of plugins) this.learn(p);
  }

  /**
   * Kernel.use(): checks the plugin, learns its flags and profiles and runs its setup. A setup that throws leaves
   * the kernel as it was: what it registered through the kernel API undone in reverse, the plugin not in use, its
   * flags and profiles unlearned.
   */
  use(plugin: Plugin): void {
    this.checkPlugin(plugin, this.names());
    this.checkSupported(plugin);
    const flagCount = this.flagDefs.length;
    const profileCount = this.profileDefs.length;
    try {
      this.learn(plugin);
      this.setupJournaled(plugin);
    } catch (e) {
      this.flagDefs.length = flagCount;
      this.profileDefs.length = profileCount;
      throw e;
    }
  }

  /** Runs the teardowns, last plugin first; one that throws does not stop the others. Returns the first failure. */
  teardown(): unknown {
    let failure: unknown = null;
    for (const e of [...this.entries].reverse()) {
      try {
        e.teardown?.();
      } catch (err) {
        failure ??= err;
      }
    }
    return failure;
  }

  /** Checks a plugin's shape, that its name is not in use and that what it depends on is. */
  checkPlugin(plugin: Plugin, inUse: readonly string[]): void {
    if (typeof plugin !== 'object' || plugin === null || typeof plugin.name !== 'string' || plugin.name === '') {
      throw new SimError(
        'SIM_ERR_PLUGIN_BAD',
        `a plugin is an object { name, dependencies?, setup(kernel) }, got ${show(plugin)}; use a factory such as vfioPlugin()`,
      );
    }
    const name = plugin.name;
    if (typeof plugin.setup !== 'function') {
      throw new SimError('SIM_ERR_PLUGIN_BAD', `plugin '${name}' has no setup(kernel) function`);
    }
    if (plugin.exercise !== undefined && typeof plugin.exercise !== 'function') {
      throw new SimError(
        'SIM_ERR_PLUGIN_BAD',
        `plugin '${name}': exercise must be a function (kernel) => void or left out, got ${show(plugin.exercise)}`,
      );
    }
    const deps = plugin.dependencies ?? [];
    if (!Array.isArray(deps) || deps.some((d) => typeof d !== 'string' || d === '')) {
      throw new SimError(
        'SIM_ERR_PLUGIN_BAD',
        `plugin '${name}': dependencies must be an array of plugin names such as ['iommu-group'], got ${show(plugin.dependencies)}`,
      );
    }
    checkDefs(name, 'flags', plugin.flags, ['name', 'description', 'where'], '{ name, description, where }');
    checkDefs(name, 'profiles', plugin.profiles, ['name', 'description'], '{ name, description, flags: [...] }');
    for (const p of plugin.profiles ?? []) {
      if (!Array.isArray(p.flags) || p.flags.some((f) => typeof f !== 'string')) {
        throw new SimError(
          'SIM_ERR_PLUGIN_BAD',
          `plugin '${name}': profile '${p.name}' needs flags, an array of flag names, got ${show(p.flags)}`,
        );
      }
    }
    if (inUse.includes(name)) {
      throw new SimError(
        'SIM_ERR_PLUGIN_DUPLICATE',
        `plugin '${name}' is already in use on this kernel; use each plugin once (plugins in use: ${inUse.join(', ')})`,
      );
    }
    for (const dep of deps) {
      if (!inUse.includes(dep)) {
        throw new SimError(
          'SIM_ERR_PLUGIN_DEPENDENCY',
          `plugin '${name}' depends on plugin '${dep}', which is not in use; use '${dep}' before '${name}' (plugins in use: ${inUse.length > 0 ? inUse.join(', ') : 'none'})`,
        );
      }
    }
  }

  /** Refuses a plugin that does not model this kernel's base (its own reason, which names the release). */
  checkSupported(plugin: Plugin): void {
    const unsupported = plugin.unsupported;
    if (typeof unsupported !== 'object' || unsupported === null) return;
    const reason = unsupported[this.kernel.version.base];
    if (reason === undefined) return;
    throw new SimError(
      'SIM_ERR_PLUGIN_UNSUPPORTED_KERNEL',
      `plugin '${plugin.name}' does not run on Linux ${this.kernel.version.base} (profile '${this.kernel.profile.name}'): ${reason}; use a profile on base 4.12 (v4.12, v4.12+bind-veto, rfc-2017)`,
    );
  }

  /** Learns a plugin's flags and profiles, all or none: a profile may name only known flags (core's, its own, ...). */
  private learn(plugin: Plugin): void {
    const flags = plugin.flags ?? [];
    const profiles = plugin.profiles ?? [];
    for (const f of flags) {
      if (this.flagDefs.some((g) => g.name === f.name) || flags.filter((g) => g.name === f.name).length > 1) {
        throw new SimError(
          'SIM_ERR_PLUGIN_BAD',
          `plugin '${plugin.name}' declares flag '${f.name}', which is already known`,
        );
      }
    }
    const known = [...this.flagDefs, ...flags].map((f) => f.name);
    for (const p of profiles) {
      if (this.profileDefs.some((q) => q.name === p.name) || profiles.filter((q) => q.name === p.name).length > 1) {
        throw new SimError(
          'SIM_ERR_PLUGIN_BAD',
          `plugin '${plugin.name}' declares profile '${p.name}', which is already known`,
        );
      }
      const unknown = p.flags.find((f) => !known.includes(f));
      if (unknown !== undefined) {
        throw new SimError(
          'SIM_ERR_PLUGIN_BAD',
          `plugin '${plugin.name}': profile '${p.name}' names flag ${show(unknown)}, which nobody defines; known flags: ${known.join(', ')} (declare it in the plugin's flags, or depend on the plugin that does)`,
        );
      }
    }
    this.flagDefs.push(...flags);
    this.profileDefs.push(...profiles);
  }

  private setupPlugin(plugin: Plugin): void {
    const entry: PluginEntry = { plugin, teardown: null };
    this.entries.push(entry);
    const teardown = plugin.setup(this.kernel);
    entry.teardown = typeof teardown === 'function' ? teardown : null;
  }

  /** True while a plugin's setup runs (its changes are journaled). */
  get journaling(): boolean {
    return this.setupJournal !== null;
  }

  /** Keeps the undo of a change a plugin's setup is making; nothing outside a setup. */
  journalUndo(undo: () => void): void {
    if (this.setupJournal !== null) this.setupJournal.push(undo);
  }

  /**
   * Runs a plugin's setup with a journal. If the setup throws, every change it made through the kernel API is
   * undone, last first, the plugin (and any it used in turn) leaves the list, and the error goes on. A setup that
   * succeeds inside another's hands its journal up, so the outer failure undoes it too.
   */
  setupJournaled(plugin: Plugin): void {
    const outer = this.setupJournal;
    const journal: (() => void)[] = [];
    const entries = this.entries.length;
    this.setupJournal = journal;
    try {
      this.setupPlugin(plugin);
    } catch (e) {
      this.setupJournal = null;
      this.rollBack(journal);
      this.entries.length = entries;
      this.setupJournal = outer;
      throw e;
    }
    this.setupJournal = outer;
    if (outer !== null) for (const undo of journal) outer.push(undo);
  }

  /** Runs undos last first; one that fails does not stop the others. A kernel that died runs nothing more. */
  private rollBack(journal: readonly (() => void)[]): void {
    for (let i = journal.length - 1; i >= 0; i--) {
      if (this.kernel.unusable) return;
      try {
        journal[i]!();
      } catch {
        // undo what can be undone
      }
    }
  }
}

/** A plugin's flags or profiles: undefined, or an array of objects whose `keys` are non-empty strings. */
function checkDefs(plugin: string, what: string, defs: unknown, keys: readonly string[], form: string): void {
  if (defs === undefined) return;
  const ok =
    Array.isArray(defs) &&
    defs.every(
      (d) =>
        typeof d === 'object' &&
        d !== null &&
        keys.every((key) => typeof (d as Record<string, unknown>)[key] === 'string') &&
        (d as Record<string, unknown>).name !== '',
    );
  if (!ok) {
    throw new SimError(
      'SIM_ERR_PLUGIN_BAD',
      `plugin '${plugin}': ${what} must be an array of ${form} with non-empty names, got ${show(defs)}`,
    );
  }
}
