import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { builtinPath } from '../src/builtins.ts';
import { scenarioSchema } from '../src/scenario/schema.ts';
import { checkSupported, validate } from '../src/scenario/validator.ts';
import { APP, builtinNames } from './helpers.ts';

const file = JSON.parse(readFileSync(`${APP}scenario.schema.json`, 'utf8'));

describe('the scenario schema', () => {
  it('is the file kept in the repo (regenerate it with `node dist/sim.js schema > scenario.schema.json`)', () => {
    expect(file).toEqual(scenarioSchema());
  });

  it('is a valid draft-07 schema that Ajv compiles in strict mode', () => {
    const ajv = new Ajv({ strict: true, allErrors: true });
    expect(() => ajv.compile(file)).not.toThrow();
  });

  it('uses only the keywords the app validator implements', () => {
    expect(() => checkSupported(file)).not.toThrow();
  });

  it('is named by every built-in scenario for editors', () => {
    for (const name of builtinNames()) {
      const text = readFileSync(builtinPath(name)!, 'utf8');
      expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../scenario.schema.json');
    }
  });
});

describe('the app validator and Ajv', () => {
  const ajv = new Ajv({ strict: true, allErrors: true });
  const check = ajv.compile(file);
  const corpus = builtinNames().map((n) => parse(readFileSync(builtinPath(n)!, 'utf8')) as unknown);

  it('accept every built-in scenario', () => {
    for (const doc of corpus) {
      expect(check(doc)).toBe(true);
      expect(validate(doc, file)).toEqual([]);
    }
  });

  it('agree on valid and invalid for mutated scenarios', () => {
    // Mutations: replace a value somewhere in a built-in scenario with another JSON value, or delete a key.
    const value = fc.oneof(
      fc.constantFrom<unknown>(null, true, 0, -1, 65536, 'pci', 'ok', '-ENODEV', 'NOTIFY_BAD', '', 'x y', [], {}),
      fc.string({ maxLength: 6 }),
      fc.integer({ min: -3, max: 70000 }),
    );
    const mutate = (doc: unknown, pick: number, v: unknown, del: boolean): unknown => {
      const copy = structuredClone(doc) as Record<string, unknown>;
      const holders: [Record<string, unknown> | unknown[], string | number][] = [];
      const walk = (x: unknown) => {
        if (Array.isArray(x))
          x.forEach((item, i) => {
            holders.push([x, i]);
            walk(item);
          });
        else if (x !== null && typeof x === 'object')
          for (const [k, item] of Object.entries(x)) {
            holders.push([x as Record<string, unknown>, k]);
            walk(item);
          }
      };
      walk(copy);
      if (holders.length === 0) return copy;
      const [holder, key] = holders[pick % holders.length]!;
      if (del && !Array.isArray(holder)) delete (holder as Record<string, unknown>)[key as string];
      else (holder as Record<string | number, unknown>)[key] = v;
      return copy;
    };
    fc.assert(
      fc.property(fc.nat(corpus.length - 1), fc.nat(), value, fc.boolean(), (which, pick, v, del) => {
        const doc = mutate(corpus[which], pick, v, del);
        expect(validate(doc, file).length === 0).toBe(check(doc) === true);
      }),
      { numRuns: 500 },
    );
  });
});
