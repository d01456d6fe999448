import fc from 'fast-check';
import { describe, it, vi } from 'vitest';
import { injectSpec, scenario } from './gen.ts';
import { checkFile, FORMATS, PARAMS, summary, toYaml } from './harness.ts';

vi.mock('../../src/run/run.ts', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/run/run.ts')>();
  return { ...mod, runScenario: vi.fn(mod.runScenario) };
});

describe('the scenario fuzz suite: generated', () => {
  it('never throws on 2,500 generated scenarios (the built-ins’ machines, plugins, injections, steps), some with --inject', async () => {
    const start = performance.now();
    await fc.assert(
      fc.asyncProperty(
        scenario,
        fc.boolean(),
        FORMATS,
        // A quarter of the files get --inject specs as well.
        fc.oneof(
          { weight: 3, arbitrary: fc.constant(undefined) },
          fc.array(injectSpec, { minLength: 1, maxLength: 2 }),
        ),
        async (doc, flow, format, specs) => {
          await checkFile(
            toYaml(doc, flow),
            format,
            (specs ?? []).map((s) => `--inject=${s}`),
          );
        },
      ),
      PARAMS,
    );
    console.log(summary('generated', performance.now() - start));
  }, 120_000);
});
