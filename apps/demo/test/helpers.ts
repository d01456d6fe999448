import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { builtinNames, builtinPath } from '../src/builtins.ts';
import { main } from '../src/main.ts';
import { knownProfiles } from '../src/plugins/registry.ts';
import { loadScenario } from '../src/scenario/load.ts';
import type { Scenario } from '../src/scenario/types.ts';

export const APP = fileURLToPath(new URL('..', import.meta.url));
export const BIN = `${APP}dist/sim.js`;

/** Builds the app once if its bundle is missing (pnpm test builds it before the tests run). */
export function ensureBuilt(): void {
  if (existsSync(BIN)) return;
  const r = spawnSync('pnpm', ['turbo', 'run', 'build', '--filter=@sim/demo...'], {
    cwd: `${APP}../..`,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`build failed:\n${r.stdout}\n${r.stderr}`);
}

/** Runs `sim` as a real process from its built file. */
export function sim(
  args: readonly string[],
  options: { env?: Record<string, string>; input?: string; cwd?: string } = {},
): { status: number | null; stdout: string; stderr: string } {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', ...options.env };
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env,
    cwd: options.cwd ?? APP,
    input: options.input ?? '',
    timeout: 20_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A built-in scenario, loaded (throws with its problems when it does not load). */
export function builtin(name: string): Scenario {
  const path = builtinPath(name);
  if (path === null) throw new Error(`no built-in scenario ${name}`);
  const r = loadScenario(readFileSync(path, 'utf8'), `scenarios/${name}.yaml`);
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.line}:${p.column} ${p.message}`).join('\n'));
  return r.scenario;
}

/** The profiles a scenario can run under (core's, and those of the plugins it uses). */
export function usableProfiles(s: Scenario): string[] {
  return knownProfiles()
    .filter((p) => p.plugin === null || s.plugins.some((q) => q.name === p.plugin))
    .map((p) => p.name);
}

/** The profiles a scenario runs under: usable, and not declared inapplicable. */
export function runnableProfiles(s: Scenario): string[] {
  return usableProfiles(s).filter((p) => !Object.hasOwn(s.inapplicable, p));
}

export { builtinNames };

/** Runs `sim` in-process through main(), as the bin does, collecting what it writes. */
export async function simInProcess(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (add: (s: string) => void) =>
    ({
      write: (chunk: string | Uint8Array) => {
        add(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return true;
      },
    }) as unknown as NodeJS.WritableStream;
  const status = await main(args, {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    stdin: Readable.from([]) as unknown as NodeJS.ReadableStream,
    env: options.env ?? {},
    cwd: options.cwd ?? APP,
  });
  return { status, stdout, stderr };
}
