import { showValue } from '@sim/core';
import { exploreError } from './errors.ts';
import type { PctOptions, SystematicOptions } from './types.ts';

/** Systematic settings with every default filled in. */
export interface SystematicSettings {
  readonly bound: number;
  readonly sleepSets: boolean;
  readonly limit: number;
  readonly maxSteps: number;
  /** null: chosen by autoFrontier(). */
  readonly splitDepth: number | null;
}

export interface PctSettings {
  readonly runs: number;
  readonly depth: number;
  readonly seed: number;
  readonly maxSteps: number;
}

export const DEFAULTS = {
  preemptionBound: 2,
  sleepSets: true,
  limit: 10_000,
  maxSteps: 10_000,
  runs: 1_000,
  depth: 3,
  seed: 0,
} as const;

function fields(options: unknown, what: string, allowed: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw exploreError('SIM_ERR_EXPLORE_BAD_OPTION', `${what} options are ${showValue(options)}: pass an object`);
  for (const key of Object.keys(options))
    if (!allowed.includes(key))
      throw exploreError(
        'SIM_ERR_EXPLORE_BAD_OPTION',
        `${what} option ${showValue(key)} is unknown: the options are ${allowed.join(', ')}`,
      );
  return options as Record<string, unknown>;
}

function integer(
  o: Record<string, unknown>,
  key: string,
  fallback: number,
  min: number,
  max: number,
  infinite = false,
): number {
  const v = Object.hasOwn(o, key) ? o[key] : undefined;
  if (v === undefined) return fallback;
  if (infinite && v === Number.POSITIVE_INFINITY) return v;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw exploreError(
      'SIM_ERR_EXPLORE_BAD_OPTION',
      `option ${key} is ${showValue(v)}: pass an integer from ${min} to ${max}${infinite ? ', or Infinity' : ''}`,
    );
  return v;
}

export const SYSTEMATIC_KEYS = ['preemptionBound', 'sleepSets', 'limit', 'maxSteps', 'splitDepth'] as const;
export const PCT_KEYS = ['runs', 'depth', 'seed', 'maxSteps'] as const;

export function systematicSettings(options?: SystematicOptions): SystematicSettings {
  const o = fields(options, 'systematic', SYSTEMATIC_KEYS);
  const sleepSets = Object.hasOwn(o, 'sleepSets') ? o.sleepSets : undefined;
  if (sleepSets !== undefined && typeof sleepSets !== 'boolean')
    throw exploreError('SIM_ERR_EXPLORE_BAD_OPTION', `option sleepSets is ${showValue(sleepSets)}: pass true or false`);
  return {
    bound: integer(o, 'preemptionBound', DEFAULTS.preemptionBound, 0, 1_000_000, true),
    sleepSets: sleepSets ?? DEFAULTS.sleepSets,
    limit: integer(o, 'limit', DEFAULTS.limit, 1, 100_000_000),
    maxSteps: integer(o, 'maxSteps', DEFAULTS.maxSteps, 1, 100_000_000),
    splitDepth: o.splitDepth === undefined ? null : integer(o, 'splitDepth', 0, 0, 64),
  };
}

export function pctSettings(options?: PctOptions): PctSettings {
  const o = fields(options, 'pct', PCT_KEYS);
  return {
    runs: integer(o, 'runs', DEFAULTS.runs, 1, 100_000_000),
    depth: integer(o, 'depth', DEFAULTS.depth, 1, 64),
    seed: integer(o, 'seed', DEFAULTS.seed, 0, 0xffffffff),
    maxSteps: integer(o, 'maxSteps', DEFAULTS.maxSteps, 1, 100_000_000),
  };
}

/** Worker count: 0 runs the units in this thread. */
export function workerCount(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 256)
    throw exploreError(
      'SIM_ERR_EXPLORE_BAD_OPTION',
      `option workers is ${showValue(value)}: pass an integer from 0 to 256`,
    );
  return value;
}
