/** The schedule explorer: systematic (preemption bounding + sleep sets) and randomized (PCT) modes, on worker threads. */
export { EXPLORE_ERROR_CODES, type ExploreErrorCode } from './errors.ts';
export {
  type ExploreOptions,
  explorePct,
  explorePctOnWorkers,
  exploreSystematic,
  exploreSystematicOnWorkers,
} from './explore.ts';
export { formatReport } from './format.ts';
export { runGenerator, SplitMix64, Xoshiro128 } from './prng.ts';
export { defaultChoice, dependent, isPreemption, type Replayed, replay } from './schedule.ts';
export type {
  Execution,
  ExploredSystem,
  ExploreReport,
  OutcomeClass,
  PctOptions,
  PctReport,
  Schedule,
  SwitchPoint,
  SystematicOptions,
  SystematicReport,
  SystemSpec,
  Transition,
} from './types.ts';
