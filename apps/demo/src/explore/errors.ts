import { SimError } from '@sim/core';

/** The explorer's misuse error codes; docs/errors.md lists them under "@sim/demo: explorer". */
export const EXPLORE_ERROR_CODES = {
  SIM_ERR_EXPLORE_BAD_OPTION: 'an explorer option has the wrong type or range',
  SIM_ERR_EXPLORE_BAD_SYSTEM: 'the explored system broke its contract (not deterministic, a bad switch point)',
  SIM_ERR_EXPLORE_BAD_SCHEDULE: 'a schedule to replay is not a list of task names, or names a task not enabled',
  SIM_ERR_EXPLORE_BAD_MODULE: 'a system module cannot be loaded or has no createSystem(args)',
  SIM_ERR_EXPLORE_WORKER: 'a worker thread threw or exited while exploring a unit',
} as const;

export type ExploreErrorCode = keyof typeof EXPLORE_ERROR_CODES;

declare module '@sim/core' {
  interface SimErrorCodes {
    SIM_ERR_EXPLORE_BAD_OPTION: true;
    SIM_ERR_EXPLORE_BAD_SYSTEM: true;
    SIM_ERR_EXPLORE_BAD_SCHEDULE: true;
    SIM_ERR_EXPLORE_BAD_MODULE: true;
    SIM_ERR_EXPLORE_WORKER: true;
  }
}

/** A SimError with one of the explorer's codes. */
export function exploreError(code: ExploreErrorCode, message: string, cause?: unknown): SimError {
  return cause === undefined ? new SimError(code, message) : new SimError(code, message, { cause });
}
