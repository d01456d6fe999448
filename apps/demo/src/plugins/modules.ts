import { register } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeThrown, type Kernel, type Plugin, SimError } from '@sim/core';
import { PLUGINS, type PluginEntry, type Registry } from './registry.ts';

// Plugin modules named with `sim run --plugin ./my-plugin.mjs`. Scenario files never run code: a module is imported
// only because the person running `sim` named it on the command line; a scenario can then name its plugin.

/** The shape a module's default export must have, for messages. */
export const PLUGIN_MODULE_FORM =
  "a default export that is a plugin factory with its name exported beside it, export const pluginName = 'x'; export default function (options) { return { name: 'x', setup(kernel) { … } } }, or a plugin object { name, setup(kernel) { … } }";

/**
 * The module resolution hook that makes `@sim/*` imports of plugin modules (and of what they import) resolve as
 * they do from the app itself: the plugin gets the very copy of @sim/core, @sim/iommu-group, … that the app runs,
 * whether or not it has a node_modules of its own, so a plugin's objects and the app's are one package's objects.
 * An `@sim/*` package the app does not have resolves from the plugin as usual. A data: URL, so the hook needs no
 * file of its own beside the bundle.
 */
const SHARE_SIM_PACKAGES_HOOK = `let app;
export function initialize(data) { app = data.app; }
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@sim/') && context.parentURL !== app) {
    try {
      return await next(specifier, { ...context, parentURL: app });
    } catch {}
  }
  return next(specifier, context);
}
`;

let sharing = false;

/** Registers SHARE_SIM_PACKAGES_HOOK once per process (Node >= 20.6 runs it on the loader thread). */
function shareSimPackages(): void {
  if (sharing) return;
  sharing = true;
  register(`data:text/javascript,${encodeURIComponent(SHARE_SIM_PACKAGES_HOOK)}`, {
    data: { app: import.meta.url },
  });
}

const message = (e: unknown) => describeThrown(e).split('\n')[0]!;

function isPlugin(p: unknown): p is Plugin {
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof (p as Plugin).name === 'string' &&
    (p as Plugin).name !== '' &&
    typeof (p as Plugin).setup === 'function'
  );
}

/**
 * A module's plugin read once into a plain object (its getters may throw anything, a non-Error included): the
 * copy, or the message saying what was thrown.
 */
function readPlugin(p: unknown): { plugin: Plugin | null } | { thrown: string } {
  try {
    if (!isPlugin(p)) return { plugin: null };
    return { plugin: { ...p, name: p.name, setup: p.setup, dependencies: [...(p.dependencies ?? [])] } };
  } catch (e) {
    return { thrown: message(e) };
  }
}

/** Teardowns of plugin modules that threw, by kernel: the loader's trial boot reports them before anything runs. */
const teardownFailures = new WeakMap<Kernel, string[]>();

/** The teardown failures of plugin modules on a closed kernel (empty when none threw). */
export function moduleTeardownFailures(kernel: Kernel): readonly string[] {
  return teardownFailures.get(kernel) ?? [];
}

/**
 * A module's plugin with its code guarded: what its factory or setup throws becomes a SimError naming the module, so
 * the loader reports it at the scenario's `plugins:` as it reports a built-in plugin's refusal.
 */
function guard(plugin: Plugin, path: string): Plugin {
  return {
    ...plugin,
    setup(kernel: Kernel) {
      let teardown: ReturnType<Plugin['setup']>;
      try {
        teardown = plugin.setup(kernel);
      } catch (e) {
        if (SimError.isInstance(e)) throw e;
        throw new SimError('SIM_ERR_PLUGIN_BAD', `plugin '${plugin.name}' (${path}): its setup threw: ${message(e)}`);
      }
      if (teardown === undefined) return undefined;
      return () => {
        try {
          teardown();
        } catch (e) {
          // A module's teardown that throws is reported as the kernel reports a broken module exit: a WARN; and
          // recorded, so that the scenario loader's trial boot refuses the module before a run.
          const what = `plugin '${plugin.name}' (${path}): its teardown threw: ${message(e)}`;
          teardownFailures.set(kernel, [...moduleTeardownFailures(kernel), what]);
          kernel.warn(`${plugin.name} teardown`, what);
        }
      };
    },
  };
}

/**
 * Imports the modules named with --plugin, in order, and makes a registry of the built-in plugins and theirs.
 * Errors name the path: the module does not load, does not export a plugin, or clashes with a known name.
 */
export async function loadPluginModules(
  paths: readonly string[],
  cwd: string,
): Promise<{ readonly registry: Registry } | { readonly error: string }> {
  const entries: PluginEntry[] = [...PLUGINS];
  for (const path of paths) {
    const fail = (what: string) => ({ error: `--plugin '${path}': ${what}` });
    let mod: { default?: unknown; pluginName?: unknown };
    shareSimPackages();
    try {
      mod = (await import(pathToFileURL(resolve(cwd, path)).href)) as { default?: unknown; pluginName?: unknown };
    } catch (e) {
      return fail(`the module does not load: ${message(e)}`);
    }
    const exported = mod.default;
    // A factory's plugin name comes from `export const pluginName`: the factory is called only with a scenario's
    // options, so it may require some. A module without pluginName has its factory called once with {} to learn
    // the name (the form before pluginName existed); a factory that refuses {} is told to export pluginName.
    let sample: unknown;
    let name: string;
    let first: Plugin | null = null;
    if (typeof exported === 'function' && mod.pluginName !== undefined) {
      if (typeof mod.pluginName !== 'string' || !/^\S+$/.test(mod.pluginName)) {
        return fail(
          `its pluginName export is ${showShort(mod.pluginName)}; expected the plugin's name, a string such as 'my-plugin'`,
        );
      }
      name = mod.pluginName;
    } else {
      if (typeof exported === 'function') {
        try {
          sample = (exported as (options: object) => unknown)({});
        } catch (e) {
          return fail(
            `its factory refuses the default options ({}): ${message(e)}; a factory that requires options exports its plugin's name beside it (export const pluginName = '…') and is then called only with the scenario's options`,
          );
        }
      } else sample = exported;
      const read = readPlugin(sample);
      if ('thrown' in read) return fail(`its plugin cannot be read: a property threw ${read.thrown}`);
      if (read.plugin === null) {
        return fail(
          `${typeof exported === 'function' ? 'its factory returns' : 'its default export is'} ${showShort(sample)}, not a sim plugin; expected ${PLUGIN_MODULE_FORM}`,
        );
      }
      first = read.plugin;
      name = first.name;
    }
    const clash = entries.find((e) => e.name === name);
    if (clash !== undefined) {
      return fail(
        `its plugin is named '${name}', as ${clash.module === undefined ? 'a built-in plugin' : `the plugin of ${clash.module}`}; give it a name of its own`,
      );
    }
    const factory = typeof exported === 'function' ? (exported as (options: object) => unknown) : null;
    entries.push({
      name,
      package: path,
      description: `a plugin module (${path}).`,
      dependencies: first === null ? [] : [...(first.dependencies ?? [])],
      options: { type: 'object', description: `Options handed to the factory of ${path}.` },
      module: path,
      create: (options) => {
        if (factory === null) {
          if (Object.keys(options).length > 0) {
            throw new SimError(
              'SIM_ERR_PLUGIN_BAD_OPTION',
              `plugin '${name}' (${path}) takes no options: its module exports a plugin object; export a factory (options) => plugin to take options`,
            );
          }
          return guard(first as Plugin, path);
        }
        let plugin: unknown;
        try {
          plugin = factory(options);
        } catch (e) {
          if (SimError.isInstance(e)) throw e;
          throw new SimError(
            'SIM_ERR_PLUGIN_BAD_OPTION',
            `plugin '${name}' (${path}): its factory threw: ${message(e)}`,
          );
        }
        const made = readPlugin(plugin);
        if ('thrown' in made) {
          throw new SimError(
            'SIM_ERR_PLUGIN_BAD',
            `plugin '${name}' (${path}): a property of its plugin threw ${made.thrown}`,
          );
        }
        if (made.plugin === null || made.plugin.name !== name) {
          throw new SimError(
            'SIM_ERR_PLUGIN_BAD',
            `plugin '${name}' (${path}): its factory returned ${showShort(plugin)}; expected a plugin named '${name}'`,
          );
        }
        return guard(made.plugin, path);
      },
    });
  }
  return { registry: entries };
}

function showShort(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'function') return 'a function';
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = message(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
