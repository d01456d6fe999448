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

/** Short rendering of a bad value for messages. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined || value === null || typeof value !== 'object') return String(value);
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** A SimError for a bad i2cdevPlugin() option. */
export function badOption(message: string): SimError {
  return new SimError('SIM_ERR_I2CDEV_BAD_OPTION', message);
}
