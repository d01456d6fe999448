import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Registry } from './plugins/registry.ts';
import { type LoadResult, loadScenario } from './scenario/load.ts';
import { readScenarioFile } from './scenario/read.ts';

/**
 * The built-in scenarios directory. This module sits one level below the app's root both as a source file
 * (src/builtins.ts) and inside the bundle (dist/sim.js), so the same relative URL finds apps/demo/scenarios.
 */
export const SCENARIO_DIR = fileURLToPath(new URL('../scenarios/', import.meta.url));

/** Names of the built-in scenarios, sorted. */
export function builtinNames(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

/** The path of a built-in scenario, or null. */
export function builtinPath(name: string): string | null {
  const path = `${SCENARIO_DIR}${name}.yaml`;
  return /^[\w.+-]+$/.test(name) && existsSync(path) ? path : null;
}

/**
 * Loads a scenario named on the command line: a file path (from `cwd`), or a built-in's name. A file that exists but
 * cannot be read as a scenario (a directory, a FIFO, a device, too big, not UTF-8, a name too long) is `unreadable`,
 * with the message saying why.
 */
export function loadNamed(
  arg: string,
  plugins?: Registry,
  cwd?: string,
): LoadResult | { ok: false; notFound: true } | { ok: false; unreadable: string } {
  const looksLikeFile = arg.includes('/') || /\.ya?ml$/.test(arg);
  const path = looksLikeFile ? resolve(cwd ?? '.', arg) : builtinPath(arg);
  if (path === null) return { ok: false, notFound: true };
  const shown = looksLikeFile ? arg : `scenarios/${arg}.yaml`;
  const read = readScenarioFile(path, shown);
  if (!read.ok) return read.missing ? { ok: false, notFound: true } : { ok: false, unreadable: read.message };
  return loadScenario(read.text, shown, plugins === undefined ? {} : { plugins });
}
