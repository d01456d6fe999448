import type { RunResult } from '../run/run.ts';

/** KTAP v1 (Documentation/dev-tools/ktap.rst): one test per expectation, with a diagnostic for each failure. */
export function formatKtap(run: RunResult): string {
  const out = ['KTAP version 1', `# sim ${run.scenario.name} under ${run.profile}`, `1..${run.expectations.length}`];
  const clean = (s: string) => s.replace(/#/g, '').replace(/\s+/g, ' ').trim();
  run.expectations.forEach((e, i) => {
    if (!e.ok) {
      out.push(`# line ${e.line}: expected ${clean(e.expected ?? '')}`);
      out.push(`# line ${e.line}: actual ${clean(e.actual ?? '')}`);
    }
    out.push(`${e.ok ? 'ok' : 'not ok'} ${i + 1} line ${e.line}: ${clean(e.message)}`);
  });
  const failed = run.expectations.filter((e) => !e.ok).length;
  out.push(
    `# ${run.scenario.name}: pass:${run.expectations.length - failed} fail:${failed} skip:0 total:${run.expectations.length}`,
  );
  return `${out.join('\n')}\n`;
}
