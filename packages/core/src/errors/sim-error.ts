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
    if (typeof value !== 'object' || value === null) return false;
    try {
      return (value as Record<symbol, unknown>)[marker] === true;
    } catch {
      return false; // a revoked proxy, or one whose get trap throws
    }
  }
}

/** Longest string, symbol description or JSON text show() prints before cutting it with `...`. */
const SHOW_MAX = 200;
/** Longest exception message describeThrown() keeps. */
const MESSAGE_MAX = 1000;

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/**
 * Short, readable rendering of a bad value for error messages (exported as `showValue` for plugins' messages).
 * Never throws, whatever the value: a revoked proxy, an object whose getters or conversions throw, a symbol, a
 * huge string.
 */
export function show(value: unknown): string {
  try {
    return showUnchecked(value);
  } catch {
    return `(an unreadable ${typeof value})`;
  }
}

function showUnchecked(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(clip(value, SHOW_MAX));
    case 'function':
      return `function ${typeof value.name === 'string' && value.name !== '' ? clip(value.name, SHOW_MAX) : '(anonymous)'}`;
    case 'bigint':
      return clip(`${value}n`, SHOW_MAX);
    case 'symbol':
      return clip(value.toString(), SHOW_MAX);
    case 'object':
      if (value === null) return 'null';
      try {
        const text = JSON.stringify(value);
        if (typeof text === 'string') return clip(text, 80);
      } catch {
        // cyclic, or a getter or toJSON that throws: the tag below
      }
      return Object.prototype.toString.call(value);
    default:
      return String(value);
  }
}

/**
 * What was thrown, in words, for an oops message: an Error's message (cut at 1000 characters), anything else as
 * show() renders it. Never throws (see show()).
 */
export function describeThrown(value: unknown): string {
  let isError = false;
  try {
    isError = value instanceof Error;
  } catch {
    // a proxy whose getPrototypeOf throws, or a revoked one
  }
  if (!isError) return show(value);
  try {
    const message = (value as Error).message;
    if (typeof message === 'string') return clip(message, MESSAGE_MAX);
  } catch {
    // a message getter that throws
  }
  let name = 'Error';
  try {
    const n = (value as Error).name;
    if (typeof n === 'string' && n !== '') name = clip(n, SHOW_MAX);
  } catch {
    // a name getter that throws too
  }
  return `${name} (its message cannot be read)`;
}
