import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect, type Mock } from 'vitest';
import { parse, stringify } from 'yaml';
import { builtinNames, builtinPath } from '../../src/builtins.ts';
import { runScenario } from '../../src/run/run.ts';
import { APP, simInProcess } from '../helpers.ts';

// The scenario fuzz suite (issue 8): files generated from and mutated out of the built-in scenarios, each run
// through main() as `sim run FILE` runs it. Every file is run (exit 0 or 1) or rejected (exit 2, every message
// `file:line:column: …`, nothing run); nothing throws. The test files that import this module mock runScenario
// with a spy (vi.mock is per test file), so that "nothing ran" is checked, not assumed.

/** Runs per family: four families make the 10,000 files. */
export const RUNS = 2500;

/** The built-in scenarios and the README's example, as text and as data. */
export const CORPUS: readonly { readonly name: string; readonly text: string; readonly data: unknown }[] = [
  ...builtinNames().map((name) => ({ name, text: readFileSync(builtinPath(name)!, 'utf8') })),
  { name: 'first-scenario', text: readFileSync(`${APP}examples/first-scenario.yaml`, 'utf8') },
].map((c) => ({ ...c, data: parse(c.text) as unknown }));

/** Names that exist somewhere in the corpus, and names that exist nowhere: mutations draw from both. */
export const NAMES = [
  'pci',
  'platform',
  'i2c',
  'usb',
  'vfio-pci',
  'pci-stub',
  'snd_hda_intel',
  'e1000e',
  'nouveau',
  'serial8250',
  'iommu-group',
  'vfio',
  'keystone',
  'i2cdev',
  'tce-iommu',
  'netdev',
  'v4.12',
  'v4.12+bind-veto',
  'rfc-2017',
  'v6.12',
  'v9',
  '0000:01:00.0',
  '0000:01:00.1',
  '0000:02:00.0',
  '0000:09:00.0',
  'iommu_group:1',
  'iommu_group:0',
  'iommu_group:99',
  'BUS_NOTIFY_BIND_DRIVER',
  'BUS_NOTIFY_ADD_DEVICE',
  'IOMMU_GROUP_NOTIFY_BIND_DRIVER',
  'BUS_NOTIFY_FROB',
  'NOTIFY_BAD',
  'NOTIFY_STOP',
  'NOTIFY_OK',
  'notifier_from_errno(-EBUSY)',
  'notifier_from_errno(-EWHAT)',
  '-ENODEV',
  '-ENOMEM',
  '-EWHAT',
  'any',
  'ok',
  'oops',
  'skipped',
  'none',
  'pmic',
  'codec',
  'uart',
  'i2c-0',
  '0-0050',
  '/dev/vfio/1',
  '/dev/vfio/vfio',
  '/dev/i2c-3',
];

/** Numbers worth trying: boundaries, huge, negative, not integers. */
export const NUMBERS = [
  0,
  1,
  -1,
  2,
  3,
  4,
  0xffff,
  0x10000,
  0x8002,
  -16,
  -4095,
  -4096,
  2147483647,
  2147483648,
  -2147483648,
  -2147483649,
  2 ** 53 + 2,
  1e300,
  -1e300,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];

/** Any JSON-ish value, small. */
export const anyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom<unknown>(null, true, false, '', ' ', '~', 'yes', 'null'),
    fc.constantFrom(...NAMES),
    fc.constantFrom(...NUMBERS),
    fc.string({ maxLength: 12 }),
    fc.string({ unit: 'binary', maxLength: 8 }),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(
      fc.oneof(fc.constantFrom('bus', 'name', 'run', 'expect', 'chain', 'probe'), fc.string({ maxLength: 5 })),
      tie('value'),
      { maxKeys: 3 },
    ),
  ),
})).value;

/** A value nested `depth` times in lists or mappings. */
export function nest(depth: number, leaf: unknown, lists: boolean): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = lists ? [v] : { a: v };
  return v;
}

/** Every place in a document that holds a value: [holder, key]. */
export function holders(doc: unknown): [Record<string, unknown> | unknown[], string | number][] {
  const out: [Record<string, unknown> | unknown[], string | number][] = [];
  const walk = (x: unknown, depth: number) => {
    if (depth > 64) return;
    if (Array.isArray(x)) {
      x.forEach((item, i) => {
        out.push([x, i]);
        walk(item, depth + 1);
      });
    } else if (x !== null && typeof x === 'object') {
      for (const [k, item] of Object.entries(x)) {
        out.push([x as Record<string, unknown>, k]);
        walk(item, depth + 1);
      }
    }
  };
  walk(doc, 0);
  return out;
}

/** YAML text of a value, block or flow style. */
export function toYaml(doc: unknown, flow: boolean): string {
  try {
    return stringify(doc, { collectionStyle: flow ? 'flow' : 'block', lineWidth: 0 });
  } catch {
    return String(doc);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'sim-fuzz-'));
mkdirSync(dir, { recursive: true });
let count = 0;

/** What the family's runs came to, for the suite's summary line. */
export const tally = { run: 0, rejected: 0, problems: 0 };

/**
 * Runs one file as `sim run FILE --format F` through main(), and checks the contract: exit 0 or 1 with runScenario
 * called and nothing on stderr, or exit 2 with runScenario never called, nothing on stdout, and on stderr one
 * `FILE:line:column: …` line per problem (a line and column inside the file) and the count.
 */
export async function checkFile(text: string, format: string, extra: readonly string[] = []): Promise<void> {
  const path = join(dir, `case-${count++ % 8}.yaml`);
  writeFileSync(path, text);
  const spy = runScenario as unknown as Mock;
  spy.mockClear();
  const r = await simInProcess(['run', path, '--format', format, ...extra]);
  const calls = spy.mock.calls.length;
  if (r.status === 0 || r.status === 1) {
    tally.run++;
    expect(r.stderr, 'a run writes nothing on stderr').toBe('');
    expect(calls, 'a run runs the scenario once').toBe(1);
    expect(r.stdout.length).toBeGreaterThan(0);
    return;
  }
  expect(r.status, `exit status, stderr:\n${r.stderr}`).toBe(2);
  tally.rejected++;
  expect(calls, 'nothing runs for a rejected file').toBe(0);
  expect(r.stdout).toBe('');
  const lines = r.stderr.replace(/\n$/, '').split('\n');
  const summary = lines.pop()!;
  if (extra.length > 0 && lines.length === 0 && summary.startsWith("sim run: --inject '")) {
    // A command-line spec refused before the file is read (the only exit-2 message without a position).
    return;
  }
  if (extra.length > 0 && summary.startsWith("sim run: --inject '")) {
    lines.push(summary);
    for (const l of lines) expect(l).toMatch(/^sim run: --inject '.*'.*; expected /);
    return;
  }
  // Past MAX_PROBLEMS the report lists the first ones and counts the rest.
  const m =
    /^sim: (?:at least )?(\d+) problems \(the first (\d+) shown, (?:at least )?(\d+) more left out\); nothing was run$/.exec(
      summary,
    );
  if (m !== null) {
    expect(Number(m[2]), r.stderr).toBe(lines.length);
    expect(Number(m[1])).toBe(lines.length + Number(m[3]));
  } else {
    expect(summary, r.stderr).toBe(`sim: ${lines.length} problem${lines.length === 1 ? '' : 's'}; nothing was run`);
  }
  expect(lines.length).toBeGreaterThan(0);
  tally.problems += lines.length;
  const fileLines = text.split(/\r\n|\r|\n/).length;
  for (const l of lines) {
    expect(l.startsWith(`${path}:`), l).toBe(true);
    const m = /^:(\d+):(\d+): \S/.exec(l.slice(path.length));
    expect(m, l).not.toBeNull();
    const [line, col] = [Number(m![1]), Number(m![2])];
    expect(line, l).toBeGreaterThanOrEqual(1);
    expect(line, l).toBeLessThanOrEqual(fileLines + 1);
    expect(col, l).toBeGreaterThanOrEqual(1);
  }
}

/** The output formats a run is rendered in (every formatter sees random runs). */
export const FORMATS = fc.constantFrom('text', 'json', 'jsonl', 'ktap', 'mermaid', 'perfetto');

/**
 * fast-check parameters of every family: a fixed number of runs; on a failure fast-check prints the seed and the
 * path, which SIM_FUZZ_SEED and SIM_FUZZ_PATH replay.
 */
export const PARAMS: fc.Parameters<unknown> = {
  numRuns: RUNS,
  ...(process.env.SIM_FUZZ_SEED === undefined
    ? {}
    : { seed: Number(process.env.SIM_FUZZ_SEED), path: process.env.SIM_FUZZ_PATH }),
};

/** One line to keep in the test log: what the family's files came to. */
export function summary(family: string, ms: number): string {
  return `${family}: ${tally.run + tally.rejected} files, ${tally.run} run, ${tally.rejected} rejected with ${tally.problems} problems, ${(ms / 1000).toFixed(1)} s`;
}
