import type { ExploredSystem } from '../types.ts';

export function createSystem(args: {
  readonly fail: 'throw' | 'exit' | 'create';
  readonly at: readonly string[];
}): ExploredSystem<unknown>;
