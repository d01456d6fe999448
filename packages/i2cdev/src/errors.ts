import { SimError } from '@sim/core';

/** @sim/i2cdev's misuse error codes; docs/errors.md lists them under "@sim/i2cdev". */
export const I2CDEV_ERROR_CODES = {
  SIM_ERR_I2CDEV_BAD_OPTION: 'i2cdevPlugin() got an option of the wrong type or range.',
} as const;

declare module '@sim/core' {
  interface SimErrorCodes {
    SIM_ERR_I2CDEV_BAD_OPTION: true;
  }
}

/** Short rendering of a bad value for messages: core's. */
export { showValue as show } from '@sim/core';

/** A SimError for a bad i2cdevPlugin() option. */
export function badOption(message: string): SimError {
  return new SimError('SIM_ERR_I2CDEV_BAD_OPTION', message);
}
