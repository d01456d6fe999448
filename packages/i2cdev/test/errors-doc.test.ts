import { readFileSync } from 'node:fs';
import { I2CDEV_ERROR_CODES } from '@sim/i2cdev';
import { describe, expect, it } from 'vitest';

const page = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const section = page.split(/^## /m).find((s) => s.startsWith('@sim/i2cdev\n')) ?? '';

describe('docs/errors.md, section @sim/i2cdev', () => {
  it('exists', () => {
    expect(section).not.toBe('');
  });

  it('lists every code of I2CDEV_ERROR_CODES', () => {
    const missing = Object.keys(I2CDEV_ERROR_CODES).filter((code) => !section.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('lists no code that I2CDEV_ERROR_CODES lacks', () => {
    const documented = [...section.matchAll(/`(SIM_ERR_[A-Z0-9_]+)`/g)].map((m) => m[1]!);
    expect(documented.filter((code) => !(code in I2CDEV_ERROR_CODES))).toEqual([]);
  });
});
