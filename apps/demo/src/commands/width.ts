import type { Io } from '../io.ts';

/** The columns text output is fitted to: the terminal's, at most 100; 80 when it does not say. */
export function textWidth(io: Io): number {
  return Math.min(io.stdout.columns ?? 80, 100);
}
