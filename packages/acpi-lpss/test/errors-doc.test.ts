import { readFileSync } from 'node:fs';
import { ACPI_LPSS_ERROR_CODES } from '@sim/acpi-lpss';
import { describe, expect, it } from 'vitest';

const page = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const section = page.split(/^## /m).find((s) => s.startsWith('@sim/acpi-lpss\n')) ?? '';

describe('docs/errors.md, section @sim/acpi-lpss', () => {
  it('exists', () => {
    expect(section).not.toBe('');
  });

  it('lists every code of ACPI_LPSS_ERROR_CODES', () => {
    const missing = Object.keys(ACPI_LPSS_ERROR_CODES).filter((code) => !section.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('lists no code that ACPI_LPSS_ERROR_CODES lacks', () => {
    const documented = [...section.matchAll(/`(SIM_ERR_[A-Z0-9_]+)`/g)].map((m) => m[1]!);
    expect(documented.filter((code) => !(code in ACPI_LPSS_ERROR_CODES))).toEqual([]);
  });
});
