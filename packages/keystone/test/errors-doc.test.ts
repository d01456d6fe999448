import { readFileSync } from 'node:fs';
import { KEYSTONE_ERROR_CODES } from '@sim/keystone';
import { describe, expect, it } from 'vitest';

const page = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const section = page.split(/^## /m).find((s) => s.startsWith('@sim/keystone\n')) ?? '';

describe('docs/errors.md, section @sim/keystone', () => {
  it('exists', () => {
    expect(section).not.toBe('');
  });

  it('lists every code of KEYSTONE_ERROR_CODES', () => {
    const missing = Object.keys(KEYSTONE_ERROR_CODES).filter((code) => !section.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('lists no code that KEYSTONE_ERROR_CODES lacks', () => {
    const documented = [...section.matchAll(/`(SIM_ERR_[A-Z0-9_]+)`/g)].map((m) => m[1]!);
    expect(documented.filter((code) => !(code in KEYSTONE_ERROR_CODES))).toEqual([]);
  });
});
