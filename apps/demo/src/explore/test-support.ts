// Shared by the explorer's tests: the toy systems, and a brute-force enumerator that knows nothing of the engine.
import { fileURLToPath } from 'node:url';
import type { ExploredSystem, Schedule, SwitchPoint } from './types.ts';

export const TOY_MODULE = fileURLToPath(new URL('./toys/program.mjs', import.meta.url));
export const FAULTY_MODULE = fileURLToPath(new URL('./toys/faulty.mjs', import.meta.url));
/** The bundled worker entry: tests of worker threads run against the build (`pnpm build` comes before vitest). */
export const WORKER_URL = new URL('../../dist/explore-worker.js', import.meta.url);

export interface Enumerated {
  readonly schedule: Schedule;
  readonly key: string;
  readonly preemptions: number;
}

/**
 * Every complete schedule of the system, each once, by plain enumeration: run a prefix with the default after it,
 * then branch on every other enabled task at every new switch point. No sleep sets, no bound.
 */
export function bruteForce<O>(system: ExploredSystem<O>): Enumerated[] {
  const out: Enumerated[] = [];
  const stack: string[][] = [[]];
  while (stack.length > 0) {
    const prefix = stack.pop() as string[];
    const points: SwitchPoint[] = [];
    const choices: string[] = [];
    const exec = system.run((p) => {
      const i = choices.length;
      points.push({ enabled: [...p.enabled], current: p.current });
      const c =
        i < prefix.length
          ? (prefix[i] as string)
          : p.current !== null && p.enabled.includes(p.current)
            ? p.current
            : (p.enabled[0] as string);
      choices.push(c);
      return c;
    });
    let preemptions = 0;
    points.forEach((p, i) => {
      if (p.current !== null && p.enabled.includes(p.current) && choices[i] !== p.current) preemptions++;
    });
    out.push({ schedule: choices, key: system.classify(exec.outcome), preemptions });
    for (let i = prefix.length; i < choices.length; i++)
      for (const t of (points[i] as SwitchPoint).enabled) if (t !== choices[i]) stack.push([...choices.slice(0, i), t]);
  }
  return out;
}
