import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineCounter, parseDocument } from 'yaml';
import { builtinPath } from '../src/builtins.ts';
import { PLUGINS } from '../src/plugins/registry.ts';
import {
  formatProblem,
  type LoadResult,
  loadScenario,
  loadScenarioInFull,
  MAX_PROBLEMS,
  QUICK_CAP,
  quickLoad,
} from '../src/scenario/load.ts';
import { leadingYamlErrors, plainData, QUICK_MIN_BYTES, scanPlain } from '../src/scenario/quick.ts';
import { scenarioSchema } from '../src/scenario/schema.ts';
import { validate, validateMapping } from '../src/scenario/validator.ts';
import { builtinNames, simInProcess } from './helpers.ts';

// The quick pass over big files (src/scenario/quick.ts) must report what the full validation reports: the same
// problems, in the same order, at the same positions, and the same count of the rest (or, when it stopped before
// the file's end, a count the full one is at least). These compare the two on generated files.

/** A small seeded random source (fast-check gives the seed; the file is built from it). */
function random(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}
type Random = ReturnType<typeof random>;

const KEYS = [
  ...['name', 'description', 'profile', 'profiles', 'steps', 'topology', 'notifiers', 'inject', 'expect', 'plugins'],
  ...['run', 'bus', 'address', 'vendor', 'devices', 'drivers', 'buses', 'output', 'oops', 'dmesg', 'priority'],
  ...['k1', 'k2', 'foo', 'constructor', 'toString', 'v4.12+seed', 'a_b', 'x-y'],
];
/** Keys outside the scanner's subset (or at its edge). */
const ODD_KEYS = ['__proto__', 'true', 'null', 'Null', '1', '0x1', 'a b', '"q"', 'x:y', '-a', '~', '.5'];
/** Values in the scanner's subset. */
const SCALARS = [
  ...['1', '0', '-3', '0x10', '0x8086', 'true', 'False', 'TRUE', 'yes', '~', 'null', 'NULL', '0000:00:01.0', 'v4.12'],
  ...['abc', 'ls /sys', 'ls /sys/bus/pci/devices', 'echo 1 > /sys/bus/pci/drivers_probe', 'NOTIFY_OK', 'a,b', 'a]b'],
  ...['x[1]', 'a #c', 'a#b', 'a  # c', '"q"', "'s'", '"a # b"', "' x '", '""', "''", '[a, b]', '[]', '[ ]'],
  ...['[ls /sys, cat /x]', '[1, 0x2, true, ~]', '[ a , b ]', '[a] # c', '[a, [b, c], []]', '["x:y", \'z\']'],
  ...['{ bus: pci, name: x }', '{a: 1}', '{ a: [b, "c:d"], e: { f: ~ } }', '{}', '{ }', '{ run: ls /sys, expect: 0 }'],
  ...['{ address: "0000:02:00.0", vendor: 0x8086 }', '{ k1: 1, k1: 2 }', '[{ a: 1 }, { b: 2 }]', '{ steps: [] } # c'],
];
/** Values outside the subset, or at its edge. */
const ODD_SCALARS = [
  ...['12345678901234567', '007', '0o7', '1.5', '.inf', '1e3', '+1', '-0', 'a: b: c', "'it''s'", '"a\\"b"'],
  ...['[a, [b]]', '[a,]', '[a: 1]', '[a]b', 'x: y', '- a', '{a: 1}', '&a x', '*a', '!!str 1', '|', '>-', ':x', '-x'],
  ...['x:', 'é', 'a\tb', '%x', '@x', '`x`', '?x', '? x', '#c', '', '"a', '[a', '0x123456789abcdef'],
  ...['{ a }', '{a:1}', '{ a: 1, }', '{ a: b: c }', '{ a: }', '[a: b]', '{ a: 1 } x', '{ "k": 1 }', '[a b, c#d]'],
  ...['{ a: [b }', '{ a: 1 }}', '[8086:10d3]', '{ a: x y }', '{ a: ,}', '[ , ]', '{ true: 1 }', '{ a: 1.5 }'],
];

/** Lines of a block node at `indent`; `depth` bounds the nesting. */
function block(r: Random, indent: number, depth: number, keys: () => string, odd: number): string[] {
  const pad = ' '.repeat(indent);
  const value = () => (r.next() < odd ? r.pick(ODD_SCALARS) : r.pick(SCALARS));
  const out: string[] = [];
  const noise = () => {
    const n = r.next();
    if (n < 0.03) out.push('');
    else if (n < 0.06) out.push(`${' '.repeat(r.int(indent + 4))}# a comment`);
  };
  if (depth > 0 && r.next() < 0.4) {
    // A list: scalars, or mappings whose first key is on the dash's line.
    for (let n = 1 + r.int(4); n > 0; n--) {
      noise();
      if (depth > 1 && r.next() < 0.4) {
        const inner = block(r, indent + 2, depth - 1, keys, odd);
        const first = inner.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('#'));
        if (first === -1 || !/^\s*[^-\s]/.test(inner[first]!)) out.push(`${pad}- ${value()}`);
        else {
          out.push(...inner.slice(0, first), `${pad}- ${inner[first]!.slice(indent + 2)}`, ...inner.slice(first + 1));
        }
      } else out.push(`${pad}- ${value()}`);
    }
    return out;
  }
  for (let n = 1 + r.int(5); n > 0; n--) {
    noise();
    const k = keys();
    const shift = r.next() < odd ? ' ' : '';
    if (depth > 1 && r.next() < 0.35) {
      out.push(`${shift}${pad}${k}:${r.next() < 0.1 ? ' # c' : ''}`);
      // A list may sit at the key's own indentation.
      const same = r.next() < 0.3;
      const inner = block(r, same ? indent : indent + 2, depth - 1, keys, odd);
      if (same && !inner.some((l) => l.trim().startsWith('-'))) out.push(...block(r, indent + 2, depth - 1, keys, odd));
      else out.push(...inner);
    } else {
      const v = value();
      const gap = r.next() < odd ? '' : r.next() < 0.1 ? '   ' : ' ';
      out.push(`${shift}${pad}${k}:${v === '' ? '' : gap}${v}${r.next() < 0.05 ? '  ' : ''}`);
    }
  }
  return out;
}

/** A generated file: `entries` top-level entries, keys from a small pool (so repeated) or unique; `odd` of the
 * keys, values and indentations outside the scanner's subset. */
function file(seed: number, entries: number, unique: boolean, odd: number): string {
  const r = random(seed);
  let n = 0;
  const keys = () => (r.next() < odd ? r.pick(ODD_KEYS) : unique ? `k${n++}` : r.pick(KEYS));
  const lines: string[] = [];
  if (!unique && r.next() < 0.5) lines.push('steps: [ls /sys]');
  for (let i = 0; i < entries; i++) {
    const known = ['steps', 'topology', 'expect', 'notifiers'][i];
    const k = unique && known !== undefined && r.next() < 0.5 ? known : keys();
    const sub = block(r, 2, 3, keys, odd);
    const form = r.next();
    if (form < 0.5) lines.push(`${k}: ${r.next() < odd ? r.pick(ODD_SCALARS) : r.pick(SCALARS)}`);
    else if (form < 0.75 && sub[0]?.trimStart().startsWith('-')) lines.push(`${k}:`, ...sub.map((l) => l.slice(2)));
    else lines.push(`${k}:`, ...sub);
  }
  return `${lines.join('\n')}${r.next() < 0.9 ? '\n' : ''}`;
}

/** How often a generated file strays outside the subset. */
const ODD = fc.constantFrom(0, 0, 0.001, 0.01, 0.1);

function sameReport(quick: LoadResult, full: LoadResult): void {
  expect(quick.ok).toBe(false);
  expect(full.ok).toBe(false);
  if (quick.ok || full.ok) return;
  expect(quick.problems.map(formatProblem)).toEqual(full.problems.map(formatProblem));
  if (quick.atLeast === true) expect(full.omitted).toBeGreaterThanOrEqual(quick.omitted);
  else expect(quick.omitted).toBe(full.omitted);
}

describe('the scanner of plain YAML', () => {
  it('reads only what the yaml package reads without an error, and reads it the same', () => {
    let read = 0;
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 12 }), fc.boolean(), ODD, (seed, entries, unique, odd) => {
        const text = file(seed, entries, unique, odd);
        const plain = scanPlain(text);
        if (plain === null) return;
        read++;
        const doc = parseDocument(text, { uniqueKeys: false });
        expect(doc.errors.map((e) => e.message)).toEqual([]);
        // Duplicate keys: the last value wins in both.
        expect(plainData(plain.root)).toEqual(doc.toJS());
      }),
      { numRuns: 600 },
    );
    // Most generated files fall outside the subset somewhere; enough of them are read for the test to mean something.
    expect(read).toBeGreaterThan(60);
  });
});

describe('validateMapping', () => {
  it("gives validate()'s issues of a mapping, the first `limit` of them, and their count", () => {
    const s = scenarioSchema(PLUGINS);
    const value = fc.oneof(
      fc.constantFrom(null, true, 1, 'x', 'ls /sys', 'v4.12', [], ['ls /sys'], [1], {}),
      fc.dictionary(fc.constantFrom('run', 'expect', 'buses', 'devices', 'oops', 'bus'), fc.constantFrom(1, 'x', [])),
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.constantFrom(...KEYS), value), { selector: ([k]) => k, maxLength: 20 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 1, max: 12 }),
        (entries, limit, cap) => {
          const all = validate(Object.fromEntries(entries), s);
          const keys = entries.map(([k]) => k);
          const counted = validateMapping(keys, (i) => entries[i]![1], s, limit);
          expect(counted).toEqual({ issues: all.slice(0, limit), count: all.length, atLeast: false });
          // Stopped at a cap: the same first issues, and a count the full one is at least.
          const capped = validateMapping(keys, (i) => entries[i]![1], s, limit, cap)!;
          expect(capped.issues).toEqual(all.slice(0, Math.min(limit, capped.count)));
          if (capped.atLeast) expect(capped.count).toBeGreaterThanOrEqual(cap);
          else expect(capped.count).toBe(all.length);
          expect(all.length).toBeGreaterThanOrEqual(capped.count);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the quick pass reports what the full validation reports', () => {
  it('on generated files with few and many duplicate keys, unknown keys and other schema problems', () => {
    const hits = { dup: 0, schema: 0 };
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 160 }), fc.boolean(), ODD, (seed, entries, unique, odd) => {
        const text = file(seed, entries, unique, odd);
        const quick = quickLoad(text, 'f.yaml', PLUGINS);
        if (quick === null) return;
        const full = loadScenarioInFull(text, 'f.yaml');
        sameReport(quick, full);
        if (!quick.ok) hits[/duplicate key/.test(quick.problems[0]!.message) ? 'dup' : 'schema']++;
      }),
      { numRuns: 500 },
    );
    expect(hits.dup).toBeGreaterThan(30);
    expect(hits.schema).toBeGreaterThan(8);
  });

  it('on generated files of YAML syntax errors, read a few bytes at a time', () => {
    const broken = [
      '  - : ]',
      ']',
      '- a',
      'a: [b',
      '"x',
      "'",
      ': x',
      '  - ',
      '}',
      '? x',
      '--- a',
      'a: b: c',
      '@',
      '\tx',
    ];
    const fine = ['a: 1', 'steps: [ls /sys]', '# c', '', '  b: 2', '- c', 'k: "q"', 'x: |', '  text'];
    let hits = 0;
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...broken), fc.constantFrom(...fine)), { maxLength: 60 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 10 }),
        (lines, first, min) => {
          const text = lines.join('\n');
          const lead = leadingYamlErrors(text, min, { uniqueKeys: false }, first, Number.POSITIVE_INFINITY);
          if (lead === null) return;
          hits++;
          const lineCounter = new LineCounter();
          const full = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false }).errors;
          expect(lead.errors.length).toBeGreaterThan(min);
          const show = (e: (typeof full)[number], lc: LineCounter) => [e.code, e.message, e.pos, lc.linePos(e.pos[0])];
          expect(lead.errors.map((e) => show(e, lead.lineCounter))).toEqual(
            full.slice(0, lead.errors.length).map((e) => show(e, lineCounter)),
          );
        },
      ),
      { numRuns: 3000 },
    );
    expect(hits).toBeGreaterThan(100);
  });
});

describe('big files full of problems', () => {
  const fill = (head: string, line: (i: number) => string, size = 2 * QUICK_MIN_BYTES) => {
    let out = head;
    for (let i = 0; out.length < size; i++) out += line(i);
    return out;
  };
  const STEPS = 'steps: [ls /sys]\n';

  it('duplicate keys, unknown keys and a mix: the quick report is the full one, count included', () => {
    const mix = fill(`name: mix\n${STEPS}topology:\n  devices:\n`, (i) =>
      [
        `    - bus: platform`,
        `      name: dev${i}`,
        `      colour: blue`,
        `    - { bus: pcie, address: "x${i}", ids: [a, "b:c"] }`,
        '',
      ].join('\n'),
    );
    for (const text of [
      fill(STEPS, () => 'steps: 1\n'),
      fill(STEPS, (i) => `key${i}: 1\n`),
      fill(STEPS, (i) => `k${i}:\n  - a\n  - b: [c, d]\n`),
      mix,
    ]) {
      const quick = quickLoad(text, 'big.yaml', PLUGINS);
      expect(quick).not.toBeNull();
      const full = loadScenarioInFull(text, 'big.yaml');
      if (quick === null || quick.ok || full.ok) throw new Error('accepted');
      expect(loadScenario(text, 'big.yaml')).toEqual(quick);
      if (text !== mix) expect(quick).toEqual(full);
      else {
        // Schema problems in the values: counted up to QUICK_CAP, then "at least".
        expect(quick.problems).toEqual(full.problems);
        expect(quick.atLeast).toBe(true);
        expect(quick.problems.length + quick.omitted).toBe(QUICK_CAP);
        expect(full.omitted).toBeGreaterThan(quick.omitted);
      }
    }
  });

  it('YAML syntax errors: the first ones, and at least how many more', () => {
    const text = fill(STEPS, () => '  - : ]\n');
    const quick = loadScenario(text, 'big.yaml');
    const full = loadScenarioInFull(text, 'big.yaml');
    if (quick.ok || full.ok) throw new Error('accepted');
    expect(quick.atLeast).toBe(true);
    expect(quick.problems).toHaveLength(MAX_PROBLEMS);
    expect(quick.problems).toEqual(full.problems);
    expect(quick.omitted).toBeGreaterThan(0);
    expect(full.omitted).toBeGreaterThanOrEqual(quick.omitted);
    expect(full.atLeast).toBeUndefined();
  });

  it('a big file with few problems, or none the quick pass can see, goes through the full validation', () => {
    const few = fill(STEPS, (i) => `# comment ${i}\n`).replace('# comment 7', 'colour: blue');
    expect(quickLoad(few, 'big.yaml', PLUGINS)).toBeNull();
    const r = loadScenario(few, 'big.yaml');
    expect(r.ok ? [] : r.problems.map(formatProblem)).toEqual([
      "big.yaml:9:1: colour: unknown key 'colour'; expected one of name, description, profile, profiles, inapplicable, plugins, topology, notifiers, inject, steps, tasks, schedule, explore, expect",
    ]);
  });

  it('the built-in scenarios, padded past the quick pass threshold, load as before', () => {
    for (const name of builtinNames()) {
      const text = readFileSync(builtinPath(name)!, 'utf8');
      const padded = `${text}${'# padding\n'.repeat(Math.ceil(QUICK_MIN_BYTES / 10))}`;
      const r = loadScenario(padded, `${name}.yaml`);
      expect(r.ok, name).toBe(true);
      expect(r).toEqual(loadScenarioInFull(padded, `${name}.yaml`));
      // And with a few unknown keys: the same (few) problems.
      const wrong = `${padded}colour: blue\nshape: round\n`;
      expect(loadScenario(wrong, 'w.yaml')).toEqual(loadScenarioInFull(wrong, 'w.yaml'));
    }
  });

  it('sim run says "at least" when the count of the rest is a lower bound', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-quick-'));
    try {
      const path = join(dir, 'syntax.yaml');
      writeFileSync(
        path,
        fill(STEPS, () => '  - : ]\n'),
      );
      const r = await simInProcess(['run', path]);
      expect(r.status).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(MAX_PROBLEMS + 1);
      expect(lines.at(-1)).toMatch(
        /^sim: at least (\d+) problems \(the first 100 shown, at least (\d+) more left out\); nothing was run$/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
