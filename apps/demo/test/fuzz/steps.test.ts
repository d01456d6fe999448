import fc from 'fast-check';
import { describe, it, vi } from 'vitest';
import { injectEntry, step } from './gen.ts';
import { CORPUS, checkFile, FORMATS, PARAMS, summary, toYaml } from './harness.ts';

vi.mock('../../src/run/run.ts', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/run/run.ts')>();
  return { ...mod, runScenario: vi.fn(mod.runScenario) };
});

describe('the scenario fuzz suite: steps and injections', () => {
  it('never throws on 2,500 built-in scenarios with steps and inject: entries replaced, added or dropped', async () => {
    const start = performance.now();
    await fc.assert(
      fc.asyncProperty(
        fc.nat(CORPUS.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom('replace', 'insert', 'delete'), step), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.array(injectEntry, { maxLength: 2 }),
        fc.boolean(),
        FORMATS,
        async (which, edits, inject, flow, format) => {
          const doc = structuredClone(CORPUS[which]!.data) as Record<string, unknown>;
          const steps = Array.isArray(doc.steps) ? (doc.steps as unknown[]) : [];
          for (const [at, op, s] of edits) {
            const i = at % (steps.length + 1);
            if (op === 'replace' && i < steps.length) steps[i] = s;
            else if (op === 'delete') steps.splice(i, 1);
            else steps.splice(i, 0, s);
          }
          doc.steps = steps;
          if (inject.length > 0) doc.inject = [...((doc.inject as unknown[] | undefined) ?? []), ...inject];
          await checkFile(toYaml(doc, flow), format);
        },
      ),
      PARAMS,
    );
    console.log(summary('steps', performance.now() - start));
  }, 120_000);
});
