import type { SimErrorCode } from './codes.ts';

const marker = Symbol.for('@sim/core.SimError');

/**
 * Thrown for misuse of sim's TypeScript API (never for a kernel failure, which is a return value). Carries a stable
 * `code` from SIM_ERROR_CODES and a message that names the bad input and says how to fix it.
 */
export class SimError extends Error {
  readonly code: SimErrorCode;

  constructor(code: SimErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'SimError';
    this.code = code;
    Object.defineProperty(this, marker, { value: true });
  }

  /** True for a SimError from any copy of @sim/core (instanceof fails across two installed copies). */
  static isInstance(value: unknown): value is SimError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}

/** Short, readable rendering of a bad value for error messages (exported as `showValue` for plugins' messages). */
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
