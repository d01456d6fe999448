import { SimError } from '@sim/core';

/** @sim/tce-iommu's misuse error codes; docs/errors.md lists them under "@sim/tce-iommu". */
export const TCE_ERROR_CODES = {
  SIM_ERR_TCE_BAD_OPTION: 'tceIommuPlugin() got an option of the wrong type or range.',
  SIM_ERR_TCE_BAD_TABLE: 'tceTable() got a TCE table description of the wrong type or range.',
} as const;

declare module '@sim/core' {
  interface SimErrorCodes {
    SIM_ERR_TCE_BAD_OPTION: true;
    SIM_ERR_TCE_BAD_TABLE: true;
  }
}

/** Short rendering of a bad value for messages: core's. */
export { showValue as show } from '@sim/core';

/** A SimError for a bad tceIommuPlugin() option. */
export function badOption(message: string): SimError {
  return new SimError('SIM_ERR_TCE_BAD_OPTION', message);
}

/** A SimError for a bad tceTable() description. */
export function badTable(message: string): SimError {
  return new SimError('SIM_ERR_TCE_BAD_TABLE', message);
}
