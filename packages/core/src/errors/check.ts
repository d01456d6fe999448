import type { SimErrorCode } from './codes.ts';
import { SimError, show } from './sim-error.ts';

/**
 * Argument checks shared by the kernel's entry points: each throws a SimError that names the call, the argument,
 * what it got and what it takes. They only read the argument (a getter that throws hands its own error on).
 */

/** A string argument. */
export function checkString(
  value: unknown,
  who: string,
  what: string,
  example: string,
  code: SimErrorCode = 'SIM_ERR_KERNEL_BAD_ARGUMENT',
): string {
  if (typeof value !== 'string') {
    throw new SimError(code, `${who}: ${what} must be a string such as ${example}, got ${show(value)}`);
  }
  return value;
}

/** A function argument. */
export function checkFunction<F>(value: F, who: string, what: string, example: string): F {
  if (typeof value !== 'function') {
    throw new SimError(
      'SIM_ERR_KERNEL_BAD_ARGUMENT',
      `${who}: ${what} must be a function such as ${example}, got ${show(value)}`,
    );
  }
  return value;
}

/** An integer argument in [min, max]. */
export function checkInteger(
  value: unknown,
  min: number,
  max: number,
  who: string,
  what: string,
  code: SimErrorCode = 'SIM_ERR_KERNEL_BAD_ARGUMENT',
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new SimError(code, `${who}: ${what} must be an integer in [${min}, ${max}], got ${show(value)}`);
  }
  return value;
}

/** An optional options object (undefined, or an object that is not an array). */
export function checkOptions<T extends object>(value: unknown, who: string, example: string): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SimError(
      'SIM_ERR_KERNEL_BAD_ARGUMENT',
      `${who}: options must be an object such as ${example}, got ${show(value)}`,
    );
  }
  return value as Partial<T>;
}
