import type { PctPlan, PctUnit, PctUnitResult } from './pct.ts';
import type { SearchSettings, Unit, UnitResult } from './systematic.ts';

/** What a worker is started with (workerData): where its system comes from, and the job its units belong to. */
export interface WorkerSetup {
  readonly module: string;
  readonly args: unknown;
  readonly job:
    | { readonly kind: 'systematic'; readonly settings: SearchSettings }
    | { readonly kind: 'pct'; readonly plan: PctPlan };
}

/** Parent to worker: a batch of units to explore, in order. */
export interface UnitRequest {
  readonly units: readonly (Unit | PctUnit)[];
}

/** Worker to parent, once per unit as it finishes: its result, or what it threw. */
export type UnitReply =
  | { readonly index: number; readonly result: UnitResult | PctUnitResult }
  | { readonly index: number; readonly error: string };
