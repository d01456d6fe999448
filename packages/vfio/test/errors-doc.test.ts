import { readFileSync } from 'node:fs';
import { VFIO_ERROR_CODES } from '@sim/vfio';
import { describe, expect, it } from 'vitest';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const section = doc.split(/^## /m).find((s) => s.startsWith('@sim/vfio\n')) ?? '';

describe('docs/errors.md, section @sim/vfio', () => {
  it('exists', () => {
    expect(section).not.toBe('');
  });

  it('lists exactly the codes of VFIO_ERROR_CODES', () => {
    const documented = [...section.matchAll(/`(SIM_ERR_[A-Z0-9_]+)`/g)].map((m) => m[1]!);
    expect([...new Set(documented)].sort()).toEqual(Object.keys(VFIO_ERROR_CODES).sort());
  });
});
