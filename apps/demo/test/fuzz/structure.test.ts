import fc from 'fast-check';
import { describe, it, vi } from 'vitest';
import {
  anyValue,
  CORPUS,
  checkFile,
  FORMATS,
  holders,
  NAMES,
  NUMBERS,
  nest,
  PARAMS,
  summary,
  toYaml,
} from './harness.ts';

vi.mock('../../src/run/run.ts', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/run/run.ts')>();
  return { ...mod, runScenario: vi.fn(mod.runScenario) };
});

/** One change to a parsed scenario: what, where (an index into its holders), and the value it brings. */
const mutation = fc.record({
  op: fc.constantFrom('delete', 'replace', 'swap', 'name', 'number', 'nest', 'unicode', 'graft', 'wrap', 'top'),
  at: fc.nat(),
  other: fc.nat(),
  value: anyValue,
  name: fc.constantFrom(...NAMES),
  number: fc.constantFrom(...NUMBERS),
  depth: fc.integer({ min: 2, max: 200 }),
  lists: fc.boolean(),
  text: fc.string({ unit: 'binary', maxLength: 16 }),
});

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function apply(doc: unknown, m: Mutation): unknown {
  const hs = holders(doc);
  if (m.op === 'top' || hs.length === 0) {
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return m.value;
    (doc as Record<string, unknown>)[m.name] = m.value;
    return doc;
  }
  const [holder, key] = hs[m.at % hs.length]!;
  const h = holder as Record<string | number, unknown>;
  switch (m.op) {
    case 'delete':
      if (Array.isArray(holder)) holder.splice(key as number, 1);
      else delete h[key];
      break;
    case 'replace':
      h[key] = m.value;
      break;
    case 'swap': {
      // Two values trade places (a list of steps where a device was, a number where a name was ...).
      const [h2, k2] = hs[m.other % hs.length]!;
      const a = h[key];
      const b = (h2 as Record<string | number, unknown>)[k2];
      if (a !== undefined && b !== undefined && !contains(a, b) && !contains(b, a)) {
        h[key] = structuredClone(b);
        (h2 as Record<string | number, unknown>)[k2] = structuredClone(a);
      }
      break;
    }
    case 'name':
      h[key] = m.name;
      break;
    case 'number':
      h[key] = m.number;
      break;
    case 'nest':
      h[key] = nest(m.depth, h[key] ?? null, m.lists);
      break;
    case 'unicode':
      h[key] = typeof h[key] === 'string' ? `${h[key] as string}${m.text}` : m.text;
      break;
    case 'graft': {
      // A part of another scenario, where this one had something (names that do not exist here).
      const donor = CORPUS[m.other % CORPUS.length]!.data;
      const dh = holders(donor);
      if (dh.length > 0) {
        const [dHolder, dKey] = dh[m.at % dh.length]!;
        h[key] = structuredClone((dHolder as Record<string | number, unknown>)[dKey]);
      }
      break;
    }
    case 'wrap':
      h[key] = m.lists ? [h[key]] : { [m.name]: h[key] };
      break;
  }
  return doc;
}

function contains(outer: unknown, inner: unknown): boolean {
  if (outer === inner) return true;
  if (outer === null || typeof outer !== 'object') return false;
  return Object.values(outer).some((v) => contains(v, inner));
}

describe('the scenario fuzz suite: structure', () => {
  it('never throws on 2,500 built-in scenarios with keys deleted, values swapped, retyped, renamed or nested', async () => {
    const start = performance.now();
    await fc.assert(
      fc.asyncProperty(
        fc.nat(CORPUS.length - 1),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        FORMATS,
        async (which, mutations, flow, format) => {
          let doc = structuredClone(CORPUS[which]!.data);
          for (const m of mutations) doc = apply(doc, m);
          await checkFile(toYaml(doc, flow), format);
        },
      ),
      PARAMS,
    );
    console.log(summary('structure', performance.now() - start));
  }, 120_000);
});
