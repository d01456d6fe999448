import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXPLORE_ERROR_CODES } from './errors.ts';

const page = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
const section = page.split(/^## /m).find((s) => s.startsWith('@sim/demo: explorer\n')) ?? '';

describe('docs/errors.md, section @sim/demo: explorer', () => {
  it('exists', () => {
    expect(section).not.toBe('');
  });

  it('lists every code of EXPLORE_ERROR_CODES', () => {
    const missing = Object.keys(EXPLORE_ERROR_CODES).filter((code) => !section.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('lists no code that EXPLORE_ERROR_CODES lacks', () => {
    const documented = [...section.matchAll(/`(SIM_ERR_[A-Z0-9_]+)`/g)].map((m) => m[1] as string);
    expect(documented.filter((code) => !(code in EXPLORE_ERROR_CODES))).toEqual([]);
  });
});
