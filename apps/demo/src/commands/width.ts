import type { Io } from '../io.ts';

/**
 * The columns text output is fitted to (wrapped and, in tables, cut with '…'): `COLUMNS` when it holds a number
 * (at least 20), as ls and other tools honour it; else the terminal's width; else, when stdout is not a terminal
 * (a pipe, a file), Infinity: nothing is wrapped or cut.
 */
export function textWidth(io: Io): number {
  const env = io.env.COLUMNS;
  if (env !== undefined && /^\d+$/.test(env.trim()) && Number(env) >= 20) return Number(env);
  if (io.stdout.isTTY === true) return io.stdout.columns ?? 80;
  return Number.POSITIVE_INFINITY;
}
