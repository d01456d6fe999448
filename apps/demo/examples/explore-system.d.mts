import type { ExploredSystem } from '../src/explore/types.ts';

export function createSystem(): ExploredSystem<number>;
