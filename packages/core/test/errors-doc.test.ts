import { readFileSync } from 'node:fs';
import { SIM_ERROR_CODES } from '@sim/core';
import { describe, expect, it } from 'vitest';

const whole = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
// Plugin packages document their own codes under '## @sim/<package>' and test those sections themselves.
const doc = whole
  .split(/^(?=## )/m)
  .filter((s) => !s.startsWith('## @sim/') || s.startsWith('## @sim/core'))
  .join('');

describe('docs/errors.md', () => {
  it('documents every error code of the table', () => {
    const missing = Object.keys(SIM_ERROR_CODES).filter((code) => !doc.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('documents no code that the table lacks', () => {
    const documented = [...doc.matchAll(/`(SIM_ERR_[A-Z0-9_]+)`/g)].map((m) => m[1]!);
    const unknown = documented.filter((code) => !(code in SIM_ERROR_CODES));
    expect(unknown).toEqual([]);
  });
});
