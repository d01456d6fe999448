import type { RunResult } from '../run/run.ts';

/**
 * The trace stream as JSON Lines: core's trace events (kernel/trace.ts) exactly as the kernel emitted them, with a
 * `{"type":"step", "index", "line", "step", "ran"}` line before each step's events (the boot's events come first);
 * a task's step (`tasks:`) names its `task`.
 */
export function formatJsonl(run: RunResult): string {
  const lines: string[] = run.bootEvents.map((e) => JSON.stringify(e));
  for (const s of run.steps) {
    lines.push(
      JSON.stringify({
        type: 'step',
        index: s.index,
        line: s.step.line,
        step: s.step.text,
        ran: s.ran,
        ...(s.task === undefined ? {} : { task: s.task }),
      }),
    );
    for (const e of s.events) lines.push(JSON.stringify(e));
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
