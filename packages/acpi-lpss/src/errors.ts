import { SimError } from '@sim/core';

/** @sim/acpi-lpss's misuse error codes; docs/errors.md lists them under "@sim/acpi-lpss". */
export const ACPI_LPSS_ERROR_CODES = {
  SIM_ERR_ACPI_LPSS_BAD_OPTION: 'acpiLpssPlugin() got an option of the wrong type or range.',
  SIM_ERR_ACPI_LPSS_BAD_COMPANION: 'acpiCompanion() got an ACPI companion description of the wrong type or range.',
} as const;

declare module '@sim/core' {
  interface SimErrorCodes {
    SIM_ERR_ACPI_LPSS_BAD_OPTION: true;
    SIM_ERR_ACPI_LPSS_BAD_COMPANION: true;
  }
}

/** Short rendering of a bad value for messages: core's. */
export { showValue as show } from '@sim/core';

/** A SimError for a bad acpiLpssPlugin() option. */
export function badOption(message: string): SimError {
  return new SimError('SIM_ERR_ACPI_LPSS_BAD_OPTION', message);
}

/** A SimError for a bad acpiCompanion() description. */
export function badCompanion(message: string): SimError {
  return new SimError('SIM_ERR_ACPI_LPSS_BAD_COMPANION', message);
}
