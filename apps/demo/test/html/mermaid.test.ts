import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtin, builtinNames, ensureBuilt, runnableProfiles, simInProcess } from '../helpers.ts';
import { type Browser, launch, listen } from './browser.ts';

// The real check of the Mermaid output (it was scripts/check-mermaid.sh, run by hand): every built-in scenario's
// diagram under every profile rendered by mermaid 11.17 in Debian's Chromium; a parse or render error fails.

const MERMAID = createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js');

let b: Browser;
beforeAll(async () => {
  ensureBuilt();
  b = await launch();
}, 60_000);
afterAll(async () => b?.close());

const cases = builtinNames().flatMap((name) => runnableProfiles(builtin(name)).map((profile) => ({ name, profile })));

describe('sim run --format mermaid renders in mermaid 11.17 (Chromium)', () => {
  it('every built-in scenario under every profile', async () => {
    const page = await b.context.newPage();
    const problems = listen(page);
    await page.setContent('<!doctype html><html lang="en"><body><div id="out"></div></body></html>');
    await page.addScriptTag({ path: MERMAID });
    const version = await page.evaluate(() => {
      const m = (globalThis as unknown as { mermaid: { initialize(o: object): void; version?: string } }).mermaid;
      m.initialize({ startOnLoad: false, securityLevel: 'strict' });
      return m.version ?? '';
    });
    expect(version === '' || version.startsWith('11.')).toBe(true);
    const failures: string[] = [];
    for (const [n, { name, profile }] of cases.entries()) {
      const text = (await simInProcess(['run', name, '--profile', profile, '--format', 'mermaid'])).stdout;
      const result = await page.evaluate(
        async ({ text, n }) => {
          const m = (
            globalThis as unknown as {
              mermaid: { parse(t: string): Promise<unknown>; render(id: string, t: string): Promise<{ svg: string }> };
            }
          ).mermaid;
          try {
            await m.parse(text);
            const { svg } = await m.render(`d${n}`, text);
            return { ok: true, size: svg.length, error: '' };
          } catch (e) {
            return { ok: false, size: 0, error: String((e as Error)?.message ?? e) };
          }
        },
        { text, n },
      );
      if (!result.ok) failures.push(`${name} [${profile}]: ${result.error}`);
      else if (result.size < 1000) failures.push(`${name} [${profile}]: only ${result.size} bytes of SVG`);
    }
    expect(failures).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  }, 180_000);

  it('fails on a diagram that does not parse (the check can fail)', async () => {
    const page = await b.context.newPage();
    await page.setContent('<!doctype html><html lang="en"><body></body></html>');
    await page.addScriptTag({ path: MERMAID });
    const ok = await page.evaluate(async () => {
      const m = (
        globalThis as unknown as { mermaid: { initialize(o: object): void; parse(t: string): Promise<unknown> } }
      ).mermaid;
      m.initialize({ startOnLoad: false, securityLevel: 'strict' });
      try {
        await m.parse('sequenceDiagram\n  participant A\n  A->>: broken');
        return true;
      } catch {
        return false;
      }
    });
    expect(ok).toBe(false);
    await page.close();
  }, 60_000);
});
