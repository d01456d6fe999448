import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeThrown, showValue } from '@sim/core';
import { exploreError } from './errors.ts';
import type { ExploredSystem, SystemSpec } from './types.ts';

/**
 * The specifier to import for a system module: a file URL or a bare package name as given, an absolute path as
 * its file URL. A relative path is refused: the parent and the worker would resolve it from different places.
 */
export function moduleSpecifier(spec: unknown): string {
  const module = typeof spec === 'object' && spec !== null ? (spec as SystemSpec).module : undefined;
  if (typeof module !== 'string' || module === '')
    throw exploreError(
      'SIM_ERR_EXPLORE_BAD_MODULE',
      `the system spec is ${showValue(spec)}: pass { module, args } with module an absolute path, a file URL or a package name`,
    );
  if (module.startsWith('file:') || module.startsWith('node:')) return module;
  if (isAbsolute(module)) return pathToFileURL(module).href;
  if (module.startsWith('.'))
    throw exploreError(
      'SIM_ERR_EXPLORE_BAD_MODULE',
      `system module ${showValue(module)} is a relative path: pass an absolute path or a file URL (workers resolve from their own folder)`,
    );
  return module;
}

/** Imports the module and builds its system with createSystem(args), checking each part of the contract. */
export async function loadSystem(specifier: string, args: unknown): Promise<ExploredSystem<unknown>> {
  let mod: { createSystem?: unknown };
  try {
    mod = (await import(specifier)) as { createSystem?: unknown };
  } catch (e) {
    throw exploreError(
      'SIM_ERR_EXPLORE_BAD_MODULE',
      `system module ${showValue(specifier)} cannot be imported: ${describeThrown(e)}`,
      e,
    );
  }
  if (typeof mod.createSystem !== 'function')
    throw exploreError(
      'SIM_ERR_EXPLORE_BAD_MODULE',
      `system module ${showValue(specifier)} has no createSystem export: export function createSystem(args) returning { run, classify }`,
    );
  let system: unknown;
  try {
    system = await (mod.createSystem as (a: unknown) => unknown)(args);
  } catch (e) {
    throw exploreError(
      'SIM_ERR_EXPLORE_BAD_MODULE',
      `createSystem(${showValue(args)}) of ${showValue(specifier)} threw: ${describeThrown(e)}`,
      e,
    );
  }
  return checkedSystem(system, `createSystem() of ${showValue(specifier)}`);
}

export function checkedSystem(system: unknown, what: string): ExploredSystem<unknown> {
  const s = system as Partial<ExploredSystem<unknown>> | null;
  if (typeof s !== 'object' || s === null || typeof s.run !== 'function' || typeof s.classify !== 'function')
    throw exploreError(
      'SIM_ERR_EXPLORE_BAD_SYSTEM',
      `${what} gave ${showValue(system)}: a system is an object with run(choose) and classify(outcome) methods`,
    );
  return s as ExploredSystem<unknown>;
}
