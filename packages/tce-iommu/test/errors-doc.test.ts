import { readFileSync } from 'node:fs';
import { TCE_ERROR_CODES } from '@sim/tce-iommu';
import { describe, expect, it } from 'vitest';

const page = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const section = page.split(/^## /m).find((s) => s.startsWith('@sim/tce-iommu\n')) ?? '';

describe('docs/errors.md, section @sim/tce-iommu', () => {
  it('exists', () => {
    expect(section).not.toBe('');
  });

  it('lists every code of TCE_ERROR_CODES', () => {
    const missing = Object.keys(TCE_ERROR_CODES).filter((code) => !section.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('lists no code that TCE_ERROR_CODES lacks', () => {
    const documented = [...section.matchAll(/`(SIM_ERR_[A-Z0-9_]+)`/g)].map((m) => m[1]!);
    expect(documented.filter((code) => !(code in TCE_ERROR_CODES))).toEqual([]);
  });
});
