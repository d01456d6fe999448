import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { simInProcess } from '../helpers.ts';

/** Debian's chromium (scripts/system-deps.txt installs it; pnpm test fails before the tests when it is missing). */
export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A browser with a fresh profile, and every request it makes (a page may load nothing but itself). */
export interface Browser {
  readonly context: BrowserContext;
  readonly requests: string[];
  readonly dir: string;
  close(): Promise<void>;
}

export async function launch(viewport = { width: 1400, height: 1000 }): Promise<Browser> {
  const dir = mkdtempSync(join(tmpdir(), 'sim-html-'));
  const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport,
  });
  const requests: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  return {
    context,
    requests,
    dir,
    close: async () => {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What a page said on its console (errors and warnings) and threw. */
export function listen(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  return problems;
}

/** Writes `sim ARGS --format html` to a file in the browser's directory; returns its path and the exit status. */
export async function htmlFile(
  b: Browser,
  name: string,
  args: readonly string[],
): Promise<{ path: string; url: string; html: string }> {
  const r = await simInProcess([...args, '--format', 'html']);
  if (r.status === 2) throw new Error(`sim ${args.join(' ')}: ${r.stderr}`);
  const path = join(b.dir, `${name.replace(/[^\w.+-]/g, '_')}.html`);
  writeFileSync(path, r.stdout);
  return { path, url: pathToFileURL(path).href, html: r.stdout };
}

/** The json output of a run. */
export async function runJson(scenario: string, profile: string) {
  const r = await simInProcess(['run', scenario, '--profile', profile, '--format', 'json']);
  return JSON.parse(r.stdout) as {
    steps: {
      step: string;
      ran: boolean;
      result: number | null;
      errno: string | null;
      calls: { chain: string; event: string; answerName: string | null }[];
    }[];
  };
}

/** The index of the step the stepper shows (aria-current). */
export async function currentStep(page: Page): Promise<number> {
  return Number(await page.locator('.steplist button[aria-current="step"]').getAttribute('data-step'));
}
