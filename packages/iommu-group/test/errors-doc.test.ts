import { readFileSync } from 'node:fs';
import { IOMMU_ERROR_CODES } from '@sim/iommu-group';
import { describe, expect, it } from 'vitest';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const section = doc.split(/^## /m).find((s) => s.startsWith('@sim/iommu-group\n')) ?? '';

describe('docs/errors.md, section @sim/iommu-group', () => {
  it('exists', () => {
    expect(section).not.toBe('');
  });

  it('lists exactly the codes of IOMMU_ERROR_CODES', () => {
    const documented = [...section.matchAll(/`(SIM_ERR_[A-Z0-9_]+)`/g)].map((m) => m[1]!);
    expect([...new Set(documented)].sort()).toEqual(Object.keys(IOMMU_ERROR_CODES).sort());
  });
});
