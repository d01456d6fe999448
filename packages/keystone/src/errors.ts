import { SimError } from '@sim/core';

/** @sim/keystone's misuse error codes; docs/errors.md lists them under "@sim/keystone". */
export const KEYSTONE_ERROR_CODES = {
  SIM_ERR_KEYSTONE_BAD_OPTION: 'keystonePlugin() got an option of the wrong type or range.',
} as const;

declare module '@sim/core' {
  interface SimErrorCodes {
    SIM_ERR_KEYSTONE_BAD_OPTION: true;
  }
}

/** Short rendering of a bad value for messages: core's. */
export { showValue as show } from '@sim/core';

/** A SimError for a bad keystonePlugin() option. */
export function badOption(message: string): SimError {
  return new SimError('SIM_ERR_KEYSTONE_BAD_OPTION', message);
}
