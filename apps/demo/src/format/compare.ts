import type { TraceEvent } from '@sim/core';
import { type RunResult, type StepRun, showResult, stepResultText } from '../run/run.ts';
import { formatJson } from './json.ts';
import { cut, notable, notifyName, pad, type Style, visible, wrap } from './style.ts';

/** Options of the side-by-side comparison. */
export interface CompareOptions {
  readonly style: Style;
  readonly width?: number;
}

/** The facts of a step worth a column: the result, probes, binds, vetoes and an oops. */
export function stepFacts(s: StepRun): string[] {
  if (!s.ran) return [];
  const facts: string[] = [];
  for (const e of s.events) {
    if (e.type === 'probe') facts.push(`probe ${e.driver}${e.ret === 0 ? '' : ` = ${e.ret}`}`);
    else if (e.type === 'bind') facts.push(`${e.what === 'not-bound' ? 'not bound' : e.what} ${e.driver}`);
    else if (e.type === 'chain.outcome' && interesting(e)) facts.push(`${notifyName(e.ret)} ${e.outcome}`);
    else if (e.type === 'oops') facts.push(shortOops(e.where));
  }
  return facts;
}

/** An answer worth showing: one that is not 0/NOTIFY_OK, or one the caller acted on. */
function interesting(e: { outcome: string; ret: number }): boolean {
  return e.outcome === 'honoured' || notable(e.ret);
}

/** `BUG at vfio.c:733` from `drivers/vfio/vfio.c:733`. */
function shortOops(where: string): string {
  return `BUG at ${where.replace(/^.*\//, '')}`;
}

/** What compare compares at a step: the result, the oops and the facts (exported for the html page). */
export function signature(s: StepRun): string {
  return JSON.stringify([s.ran, s.result, s.oops, stepFacts(s)]);
}

/** The index of the first step whose result or effects differ between the runs, or -1. */
export function firstDifference(runs: readonly RunResult[]): number {
  const n = Math.max(...runs.map((r) => r.steps.length));
  for (let i = 0; i < n; i++) {
    const sigs = new Set(runs.map((r) => (r.steps[i] === undefined ? 'none' : signature(r.steps[i]!))));
    if (sigs.size > 1) return i;
  }
  return -1;
}

/** What one run did at a step, in a few lines: notable answers and what their callers did, warnings, the oops. */
function detail(e: readonly TraceEvent[]): string[] {
  const out: string[] = [];
  let dump = false;
  let lastBlock: Extract<TraceEvent, { type: 'chain.block' }> | null = null;
  for (const ev of e) {
    if (ev.type === 'chain.block' && notable(ev.ret)) lastBlock = ev;
    // What happened to each BIND_DRIVER answer is the seed's whole question: always show it.
    if (ev.type === 'chain.outcome' && (interesting(ev) || /(^|_)NOTIFY_BIND_DRIVER$/.test(ev.actionName))) {
      const who = lastBlock !== null && lastBlock.chain === ev.chain ? `${lastBlock.block} answered ` : '';
      out.push(`${ev.actionName}: ${who}${notifyName(ev.ret)}, ${ev.outcome}: ${ev.effect}`);
      lastBlock = null;
    }
    if (ev.type === 'probe') out.push(`probe ${ev.driver} ${ev.device} = ${ev.ret}`);
    if (ev.type === 'bind' && ev.what === 'refused') out.push(`refused ${ev.driver}: ${ev.reason ?? ''}`);
    if (ev.type === 'dmesg') {
      if (ev.text.includes('[ cut here ]')) dump = true;
      else if (ev.text.startsWith('---[ end trace')) dump = false;
      else if (!dump && ev.level <= 4) out.push(`dmesg: ${ev.text}`);
    }
    if (ev.type === 'oops') out.push(`${ev.message}`);
  }
  return out;
}

/** Several runs of one scenario side by side, with the first step where they differ highlighted. */
export function formatCompare(runs: readonly RunResult[], o: CompareOptions): string {
  const s = o.style;
  const width = o.width ?? 80;
  const first = runs[0]!;
  const sc = first.scenario;
  const n = runs.length;
  const devices = [...new Set(runs.flatMap((r) => Object.keys(r.devices)))];
  // A label column wide enough for device names (the end rows), then one column per profile.
  const margin = Math.min(16, Math.max(6, ...devices.map((d) => d.length + 3)));
  // Without a width (stdout not a terminal, no COLUMNS) nothing is cut: the columns are as wide as their widest cell,
  // known once every row is made, so rows are laid out at the end.
  const unlimited = !Number.isFinite(width);
  let colW = unlimited ? Number.POSITIVE_INFINITY : Math.max(12, Math.floor((width - margin) / n));
  const out: string[] = [];
  const pending: { index: number; cells: readonly string[]; left: string }[] = [];
  const row = (cells: readonly string[], left = '') => {
    pending.push({ index: out.length, cells, left });
    out.push('');
  };
  out.push(s.bold(`sim compare ${sc.name}: ${runs.map((r) => r.profile).join(' | ')}`));
  if (sc.description !== '')
    for (const l of wrap(sc.description.replace(/\s+/g, ' '), width - 2)) out.push(`  ${s.dim(l)}`);
  out.push('');
  row(
    runs.map((r) => s.bold(cut(r.profile, colW - 1))),
    'profile',
  );
  const flagRows = Math.max(1, ...runs.map((r) => r.flags.length));
  for (let f = 0; f < flagRows; f++) {
    row(
      runs.map((r) => s.dim(cut(r.flags[f] ?? (f === 0 ? '(no flags)' : ''), colW - 1))),
      f === 0 ? 'flags' : '',
    );
  }
  out.push('');
  const diff = firstDifference(runs);
  // The first run's steps: the scenario's, then its tasks' in the order they ended there.
  first.steps.forEach((st0, i) => {
    const step = { text: `${st0.task === undefined ? '' : `${st0.task}$ `}${st0.step.text}` };
    const num = `${String(i + 1).padStart(2)}. `;
    const sigs = new Set(runs.map((r) => (r.steps[i] === undefined ? 'none' : signature(r.steps[i]!))));
    const res0 = st0.oops ? 'the task died' : stepResultText(st0);
    if (sigs.size === 1 && !st0.oops && st0.ran) {
      // The same everywhere: one line, the result at the end.
      if (unlimited) {
        out.push(`${num}$ ${step.text}  ${s.dim(res0)}`);
        return;
      }
      const room = width - num.length - 2 - res0.length - 2;
      out.push(`${num}$ ${pad(cut(step.text, room), room)}  ${s.dim(res0)}`);
      return;
    }
    out.push(
      (i === diff ? (x: string) => s.bold(s.yellow(x)) : s.bold)(`${num}$ ${cut(step.text, width - num.length - 2)}`),
    );
    const cells = runs.map((r) => {
      const st = r.steps[i]!;
      const res = st.oops ? 'the task died' : st.ran ? stepResultText(st) : 'not run';
      const lines = [res, ...stepFacts(st)];
      if (st.output !== null && st.output !== '' && st.result !== null && st.result >= 0) {
        lines.splice(1, 0, `"${st.output.replace(/\n$/, '').replace(/\n/g, ' ')}"`);
      }
      return lines.map((l) => cut(l, colW - 1));
    });
    const height = Math.max(...cells.map((c) => c.length));
    for (let l = 0; l < height; l++) {
      const line = cells.map((c, j) => {
        const text = c[l] ?? '';
        if (text === '') return '';
        const st = runs[j]!.steps[i]!;
        if (l === 0)
          return st.oops
            ? s.red(text)
            : !st.ran
              ? s.dim(text)
              : st.result !== null && st.result < 0
                ? s.yellow(text)
                : s.green(text);
        return text.startsWith('BUG') ? s.red(text) : text;
      });
      row(line, i === diff && l === 0 ? s.mark('>> ') : '');
    }
  });
  out.push('');
  out.push(s.bold('end'));
  for (const d of devices) {
    row(
      runs.map((r) => {
        const x = r.devices[d];
        return x === undefined ? s.dim('(removed)') : x.driver === null ? s.dim('no driver') : cut(x.driver, colW - 1);
      }),
      `  ${d}`,
    );
  }
  row(
    runs.map((r) => (r.oops === null ? 'none' : s.red(cut(shortOops(r.oops.where), colW - 1)))),
    '  oops',
  );
  if (runs.some((r) => r.expectations.length > 0)) {
    row(
      runs.map((r) => {
        const bad = r.expectations.filter((e) => !e.ok).length;
        const txt = `${r.expectations.length - bad}/${r.expectations.length} hold`;
        return bad === 0 ? s.green(txt) : s.red(txt);
      }),
      '  expect',
    );
  }
  out.push('');
  if (diff === -1) {
    out.push(s.bold('no difference: every step did the same under each profile'));
  } else {
    const st = first.steps[diff]!.step;
    out.push(s.bold(s.yellow(`first difference: step ${diff + 1} (line ${st.line})`)));
    const pw = Math.max(...runs.map((r) => r.profile.length));
    for (const r of runs) {
      const at = r.steps[diff];
      const lines = at === undefined ? [] : detail(at.events);
      const shown = lines.length === 0 ? [at === undefined ? 'no such step' : showResult(at.result, at.ran)] : lines;
      const lead = `  ${r.profile.padEnd(pw)}  `;
      shown.forEach((l, k) => {
        for (const [m, w] of wrap(l, width - lead.length, '  ').entries()) {
          out.push((k === 0 && m === 0 ? s.bold(lead) : ' '.repeat(lead.length)) + w);
        }
      });
    }
  }
  const failed = runs.filter((r) => !r.ok);
  if (failed.length > 0) {
    out.push('');
    for (const r of failed) {
      for (const e of r.expectations.filter((x) => !x.ok)) {
        for (const l of wrap(`FAIL [${r.profile}] line ${e.line}: ${e.message}`, width, '  ')) out.push(s.red(l));
      }
    }
  }
  if (unlimited) colW = Math.max(12, ...pending.flatMap((p) => p.cells.map((c) => visible(c) + 2)));
  for (const p of pending) {
    out[p.index] = (pad(p.left, margin) + p.cells.map((c, i) => (i === n - 1 ? c : pad(c, colW))).join('')).replace(
      /\s+$/,
      '',
    );
  }
  return `${out.join('\n')}\n`;
}

/** `sim compare --format json` (compare-output.schema.json): each run as run's json, and the first difference. */
export function compareJson(runs: readonly RunResult[]) {
  const first = runs[0]!;
  const diff = firstDifference(runs);
  const step = diff === -1 ? undefined : first.steps[diff]?.step;
  return {
    scenario: first.scenario.name,
    file: first.scenario.file,
    profiles: runs.map((r) => r.profile),
    firstDifference: step === undefined ? null : { step: diff + 1, line: step.line, text: step.text },
    runs: runs.map(formatJson),
    ok: runs.every((r) => r.ok),
  };
}
