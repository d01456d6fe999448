import { readFileSync } from 'node:fs';
import { SIM_ERROR_CODES } from '@sim/core';
import { describe, expect, it } from 'vitest';

const page = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
/** The page's @sim/core sections: plugin packages list their own codes in sections their own tests check. */
const doc = page
  .split(/^## /m)
  .filter((section) => section.startsWith('@sim/core'))
  .join('\n');

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
