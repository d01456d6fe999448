import type { ExploredSystem } from '../types.ts';

export interface ToyStep {
  readonly op: 'read' | 'writeInc' | 'add' | 'set' | 'lock' | 'unlock' | 'local' | 'spawn' | 'spawnIf';
  readonly task?: string;
  readonly v?: string;
  readonly l?: string;
  readonly n?: number;
  readonly value?: number;
}
export interface ToyProgram {
  readonly tasks: Readonly<Record<string, readonly ToyStep[]>>;
  /** Tasks that cannot run until a 'spawn' step starts them. */
  readonly later?: readonly string[];
}
export interface ToyOutcome {
  readonly vars: Readonly<Record<string, number>>;
  readonly deadlock: readonly string[] | null;
}
export const PROGRAMS: Readonly<Record<'lost-update' | 'locked-update' | 'abba', ToyProgram>>;
export function independent(tasks: number, steps: number): ToyProgram;
export function createSystem(
  args: (
    | { readonly program: keyof typeof PROGRAMS }
    | { readonly independent: readonly [number, number] }
    | ToyProgram
  ) & { readonly work?: number },
): ExploredSystem<ToyOutcome>;
