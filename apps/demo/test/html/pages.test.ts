import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifyName } from '../../src/format/style.ts';
import { builtin, builtinNames, ensureBuilt, runnableProfiles, simInProcess } from '../helpers.ts';
import { type Browser, currentStep, htmlFile, launch, listen, runJson } from './browser.ts';

// Every built-in scenario under every profile it runs under, in real Chromium: the page loads from disk with no
// console error and no request but itself, the stepper reaches every step (keys and buttons), and each step's
// visible return and chain answers are the json output's.

let b: Browser;
beforeAll(async () => {
  ensureBuilt();
  b = await launch();
}, 60_000);
afterAll(async () => b?.close());

/** The result as the page writes it, derived from the json output. */
function expectedResult(s: { step: string; ran: boolean; result: number | null; errno: string | null }): string {
  if (!s.ran) return 'not run (the kernel was dead)';
  if (s.result === null) return 'oops (the task died)';
  if (s.step.startsWith('notify ')) return notifyName(s.result);
  return s.errno === null ? String(s.result) : `${s.result} (${s.errno})`;
}

const cases = builtinNames().flatMap((name) => runnableProfiles(builtin(name)).map((profile) => ({ name, profile })));

describe('sim run --format html in Chromium', () => {
  it.each(cases)(
    '$name under $profile',
    async ({ name, profile }) => {
      const file = await htmlFile(b, `${name}-${profile}`, ['run', name, '--profile', profile]);
      const json = await runJson(name, profile);
      const page = await b.context.newPage();
      const problems = listen(page);
      const before = b.requests.length;
      await page.goto(file.url);
      const section = page.locator(`section.run[data-profile="${profile}"]`);
      const n = json.steps.length;
      expect(await page.locator('.steplist button').count()).toBe(n);
      for (let i = 0; i < n; i++) {
        if (i > 0) {
          // Keys and buttons both step.
          if (i % 2 === 1) await page.keyboard.press('ArrowRight');
          else await page.locator('#next').click();
        }
        expect(await currentStep(page)).toBe(i);
        const s = json.steps[i]!;
        expect((await section.locator('[data-testid="result"]').textContent())?.trim(), `step ${i + 1}`).toBe(
          expectedResult(s),
        );
        const calls = await section
          .locator('[data-testid="call"]')
          .evaluateAll((els) =>
            els.map(
              (e) => `${e.getAttribute('data-chain')} ${e.getAttribute('data-event')} ${e.getAttribute('data-answer')}`,
            ),
          );
        expect(calls, `step ${i + 1} calls`).toEqual(
          s.calls.map((c) => `${c.chain} ${c.event} ${c.answerName ?? 'died'}`),
        );
      }
      if (n > 0) {
        expect(await page.locator('#next').isDisabled()).toBe(true);
        await page.keyboard.press('Home');
        expect(await currentStep(page)).toBe(0);
        await page.keyboard.press('End');
        expect(await currentStep(page)).toBe(n - 1);
      }
      expect(problems).toEqual([]);
      expect(b.requests.slice(before).filter((u) => u !== file.url)).toEqual([]);
      await page.close();
    },
    60_000,
  );
});

describe('sim compare --format html in Chromium', () => {
  it.each(builtinNames())(
    '%s: the first-difference jump lands on the step sim compare names',
    async (name) => {
      const profiles = runnableProfiles(builtin(name)).join(',');
      const text = await simInProcess(['compare', name, '--profiles', profiles]);
      const named = /first difference: step (\d+)/.exec(text.stdout);
      const file = await htmlFile(b, `compare-${name}`, ['compare', name, '--profiles', profiles]);
      const page = await b.context.newPage();
      const problems = listen(page);
      const before = b.requests.length;
      await page.goto(file.url);
      const jump = page.locator('#first-diff');
      if (named === null) {
        expect(await jump.isDisabled()).toBe(true);
      } else {
        await jump.click();
        expect(await currentStep(page)).toBe(Number(named[1]) - 1);
        expect(await page.locator('.run').count()).toBe(profiles.split(',').length);
      }
      expect(problems).toEqual([]);
      expect(b.requests.slice(before).filter((u) => u !== file.url)).toEqual([]);
      await page.close();
    },
    60_000,
  );
});
