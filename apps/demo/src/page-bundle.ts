import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The html page's script: src/html/page.ts bundled for the browser (iife) by the app's build, next to dist/sim.js.
 * This module sits one level below the app's root both as a source file and inside the bundle (dist/sim.js), so the
 * same relative URL finds it from the tests and from the built command.
 */
export const PAGE_BUNDLE = fileURLToPath(new URL('../dist/sim-page.global.js', import.meta.url));

let cached: string | null = null;

/** The page script's text; a clear error when the app was not built. */
export function pageScript(): string {
  if (cached !== null) return cached;
  if (!existsSync(PAGE_BUNDLE)) {
    throw new Error(`the html page's script ${PAGE_BUNDLE} is missing: build the app first (pnpm build)`);
  }
  cached = readFileSync(PAGE_BUNDLE, 'utf8');
  return cached;
}
