import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP, ensureBuilt, simInProcess } from '../helpers.ts';
import { type Browser, currentStep, htmlFile, launch, listen } from './browser.ts';

// The in-page what-if against `sim explain --what-if`, axe-core, the page under a served CSP, the layout in a narrow
// window and at 200 % zoom, and screenshots of the seed's story (apps/demo/test-artifacts/html/, git-ignored).

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SHOTS = `${APP}test-artifacts/html`;
const SEED_PROFILES = ['v4.12', 'v4.12+bind-veto', 'rfc-2017', 'v6.12'];
const BIND = 'echo 0000:01:00.1 > /sys/bus/pci/drivers/snd_hda_intel/bind';

let b: Browser;
beforeAll(async () => {
  ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  b = await launch();
}, 60_000);
afterAll(async () => b?.close());

async function goToStep(page: Page, index: number): Promise<void> {
  await page.locator(`.steplist button[data-step="${index}"]`).click();
  expect(await currentStep(page)).toBe(index);
}

/** Runs the in-page what-if with these writes after step `after` (1-based); returns its text rendering. */
async function pageWhatIf(page: Page, after: number, actions: readonly string[] | null): Promise<string> {
  await goToStep(page, after - 1);
  if (actions !== null) await page.locator('#wi-commands').fill(actions.join('\n'));
  await page.locator('#wi-go').click();
  return (await page.locator('#wi-out [data-testid="whatif-text"]').textContent()) ?? '';
}

async function cliWhatIf(after: number, actions: readonly string[]): Promise<string> {
  const r = await simInProcess([
    'explain',
    'seed',
    '--after',
    String(after),
    ...actions.flatMap((a) => ['--what-if', a]),
  ]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

async function axe(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    const r = await (
      globalThis as unknown as {
        axe: {
          run: (
            c: unknown,
            o: unknown,
          ) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }>;
        };
      }
    ).axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      where: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  return result
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.where.join(', ')}`);
}

describe('the in-page what-if equals sim explain --what-if', () => {
  const cases: [number, string[]][] = [
    [13, [BIND]],
    [11, ['echo 0000:01:00.1 > /sys/bus/pci/drivers/vfio-pci/unbind']],
    [
      5,
      [
        'echo 0000:01:00.0 > /sys/bus/pci/drivers/vfio-pci/unbind',
        'echo 0000:01:00.0 > /sys/bus/pci/drivers/snd_hda_intel/bind',
      ],
    ],
    [10, ['echo snd_hda_intel > /sys/bus/pci/devices/0000:01:00.1/driver_override']],
    [1, ['echo 0000:00:01.0 > /sys/bus/pci/drivers/pcieport/unbind']],
    [15, [BIND]],
    [13, ['echo nonsense > /sys/bus/pci/drivers/snd_hda_intel/bind']],
  ];
  it('for a set of proposed actions on the seed, at different steps', async () => {
    const file = await htmlFile(b, 'seed-whatif', ['run', 'seed', '--profile', 'v4.12']);
    const page = await b.context.newPage();
    const problems = listen(page);
    await page.goto(file.url);
    for (const [after, actions] of cases) {
      expect(await pageWhatIf(page, after, actions), `${after}: ${actions.join('; ')}`).toBe(
        await cliWhatIf(after, actions),
      );
    }
    // The form's own choice: give 0000:01:00.1 to vfio-pci after step 13 (unbinding what holds it first).
    await goToStep(page, 12);
    await page.locator('#wi-device').selectOption('0000:01:00.1');
    await page.locator('#wi-action').selectOption('vfio');
    const written = (await page.locator('#wi-commands').inputValue()).split('\n');
    expect(written).toEqual([
      'echo vfio-pci > /sys/bus/pci/devices/0000:01:00.1/driver_override',
      'echo 0000:01:00.1 > /sys/bus/pci/drivers_probe',
    ]);
    expect(await pageWhatIf(page, 13, null)).toBe(await cliWhatIf(13, written));
    // A write that is not one is refused in the page as on the command line.
    await page.locator('#wi-commands').fill('cat /sys/bus/pci/devices');
    await page.locator('#wi-go').click();
    expect(await page.locator('#wi-out [role="alert"]').textContent()).toContain('a what-if is a sysfs write');
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);
});

describe('accessibility and layout', () => {
  it('axe-core finds no serious or critical violation on run, compare, explain and audit pages', async () => {
    const pages = [
      await htmlFile(b, 'a11y-run', ['run', 'seed', '--profile', 'v4.12']),
      await htmlFile(b, 'a11y-compare', ['compare', 'seed']),
      await htmlFile(b, 'a11y-explain', ['explain', 'seed', '--group', '1']),
      await htmlFile(b, 'a11y-whatif', ['explain', 'seed', '--after', '13', '--what-if', BIND]),
      await htmlFile(b, 'a11y-audit', ['audit']),
      await htmlFile(b, 'a11y-i2c', ['compare', 'i2c-minors']),
    ];
    for (const f of pages) {
      const page = await b.context.newPage();
      await page.goto(f.url);
      if ((await page.locator('#wi-go').count()) > 0) await page.locator('#wi-go').click();
      expect(await axe(page), f.path).toEqual([]);
      await page.close();
    }
  }, 120_000);

  it('reflows without horizontal scrolling in a narrow window and at 200 % zoom', async () => {
    const file = await htmlFile(b, 'layout-compare', ['compare', 'seed']);
    const sizes = [
      { name: 'narrow', viewport: { width: 360, height: 800 } },
      // 200 % zoom of a 1280x800 window lays the page out in half the CSS pixels.
      { name: 'zoom-200', viewport: { width: 640, height: 400 } },
    ];
    for (const s of sizes) {
      const page = await b.context.newPage();
      await page.setViewportSize(s.viewport);
      await page.goto(file.url);
      await page.locator('#first-diff').click();
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow, s.name).toBeLessThanOrEqual(0);
      await page.screenshot({ path: `${SHOTS}/seed-compare-${s.name}.png` });
      await page.close();
    }
  }, 60_000);
});

describe('Content-Security-Policy', () => {
  let server: Server;
  let served = '';
  let policy = '';
  const hits: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url !== '/seed.html') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': policy }).end(served);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  });
  afterAll(
    () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  );

  it("served with default-src 'none' and its own hashes, the page works the same", async () => {
    const file = await htmlFile(b, 'csp-seed', ['compare', 'seed']);
    served = file.html;
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(served)![1]!;
    expect(meta).toMatch(
      /^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+'; style-src 'sha256-[A-Za-z0-9+/=]+'/,
    );
    policy = meta;
    const page = await b.context.newPage();
    await page.addInitScript(() => {
      (globalThis as unknown as { violations: string[] }).violations = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        (globalThis as unknown as { violations: string[] }).violations.push(`${e.violatedDirective} ${e.blockedURI}`),
      );
    });
    const problems = listen(page);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/seed.html`;
    await page.goto(url);
    const n = await page.locator('.steplist button').count();
    for (let i = 1; i < n; i++) await page.keyboard.press('ArrowRight');
    expect(await currentStep(page)).toBe(n - 1);
    const inPage = await pageWhatIf(page, 13, [BIND]);
    expect(inPage).toBe(await cliWhatIf(13, [BIND]));
    // The stylesheet applied (a hashed <style> that the policy refused would leave the default look).
    expect(
      await page
        .locator('.run')
        .first()
        .evaluate((e) => getComputedStyle(e).borderTopStyle),
    ).toBe('solid');
    expect(await page.evaluate(() => (globalThis as unknown as { violations: string[] }).violations)).toEqual([]);
    expect(problems).toEqual([]);
    expect(hits.filter((h) => h !== '/seed.html')).toEqual([]);
    await page.close();
  }, 60_000);
});

describe("screenshots of the seed's story", () => {
  it.each(SEED_PROFILES)(
    'under %s, at the bind of step 14',
    async (profile) => {
      const file = await htmlFile(b, `shot-${profile}`, ['run', 'seed', '--profile', profile]);
      const page = await b.context.newPage();
      const problems = listen(page);
      await page.goto(file.url);
      await goToStep(page, 13);
      await page.screenshot({ path: `${SHOTS}/seed-${profile}.png`, fullPage: true });
      expect(problems).toEqual([]);
      await page.close();
    },
    60_000,
  );
});
