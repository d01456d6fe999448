import { SimError, show } from '../errors/sim-error.ts';
import type { AuditAnswer, AuditEventSummary, AuditReport } from './report.ts';

const VERDICTS = ['ineffective', 'effective', 'propagated', 'unknown'] as const;

function counted(row: AuditEventSummary): string {
  return VERDICTS.filter((v) => row[v] > 0)
    .map((v) => `${row[v]} ${v}`)
    .join(', ');
}

function answerLines(a: AuditAnswer): string[] {
  const data = a.device === null ? 'NULL data' : `device ${a.device}`;
  const fate =
    a.outcome === 'overwritten'
      ? 'overwritten'
      : a.outcome === 'unreported'
        ? 'unreported'
        : `${a.outcome} by ${a.handledBy}()${a.outcomeSource === 'caller-table' ? " (inferred: the driver core's caller of this event)" : ''}`;
  const collateral = a.collateral.length === 0 ? 'none' : a.collateral.join(', ');
  const before = (a.actedBefore ?? []).map(
    (b) =>
      `${b.block} (answered ${b.value}; ${b.undoneOn === null ? 'never told the bind did not happen' : `told on ${b.undoneOn}, its chance to undo`})`,
  );
  return [
    `    ${a.decoded.text}, ${data}: ${fate}`,
    `      ${a.effect}; collateral: ${collateral}`,
    ...(before.length === 0 ? [] : [`      called before it, on a bind that did not happen: ${before.join(', ')}`]),
    `      ${a.count === 1 ? 'once' : `${a.count} times`}, from ${a.sources.join(', ')}`,
  ];
}

/** The one-line conclusion, in the seed's terms: the answers by event, and BIND_DRIVER always named. */
export function auditVerdictLine(report: AuditReport): string {
  const rows = report.byEvent.filter((r) => r.findings > 0);
  const parts = rows.map((r) => `${r.findings} on ${r.event} (${counted(r)})`);
  if (!rows.some((r) => r.chainKind === 'bus' && r.event === 'BUS_NOTIFY_BIND_DRIVER')) {
    parts.push('none on BUS_NOTIFY_BIND_DRIVER');
  }
  const head =
    report.totals.findings === 0
      ? 'every notifier answered 0, NOTIFY_OK or NOTIFY_DONE'
      : `${report.totals.findings} notifier${report.totals.findings === 1 ? '' : 's'} answered something else`;
  const missed =
    report.claims === undefined ? '' : `; left out of the claim: ${report.claims.missed.join(', ') || 'none'}`;
  return `Verdict: ${head}: ${parts.join('; ')}${missed}.`;
}

/** The audit report as text, for a terminal. */
export function formatAuditReport(report: AuditReport): string {
  if (typeof report !== 'object' || report === null || !Array.isArray((report as AuditReport).findings)) {
    throw new SimError(
      'SIM_ERR_KERNEL_BAD_OPTION',
      `formatAuditReport() takes a report from recordAudit(), auditTrace() or auditDueDiligence(), got ${show(report)}`,
    );
  }
  const out: string[] = [];
  const flags = report.flags.length === 0 ? 'none' : report.flags.join(', ');
  const base = report.base ?? '4.12';
  const kernel = base === '4.12' ? '' : `Linux ${base}, `;
  out.push(`Notifier answer audit (${report.kind}), profile ${report.profile} (${kernel}flags: ${flags})`);
  for (const u of report.unsupported ?? []) out.push(`Not on Linux ${base}: ${u.plugin}: ${u.reason}`);
  out.push(
    `${report.kernels} kernel${report.kernels === 1 ? '' : 's'}, ${report.chainCalls} chain calls, ${report.totals.findings} notifier${report.totals.findings === 1 ? '' : 's'} with answers other than 0 / NOTIFY_OK / NOTIFY_DONE`,
  );
  for (const row of report.byEvent) {
    out.push('');
    if (row.findings === 0) {
      out.push(`${row.event}: none`);
      continue;
    }
    out.push(`${row.event}: ${row.findings} notifier${row.findings === 1 ? '' : 's'}, ${counted(row)}`);
    for (const f of report.findings) {
      if (f.event !== row.event || (row.chainKind === 'bus') !== (f.bus !== null)) continue;
      out.push(`  ${f.chain} / ${f.block}: ${f.verdict}`);
      for (const a of f.answers) out.push(...answerLines(a));
    }
  }
  out.push('');
  if (report.claims !== undefined) {
    out.push(`Claimed: ${report.claims.claimed.join(', ') || 'none'}`);
    out.push(`Left out of the claim: ${report.claims.missed.join(', ') || 'none'}`);
    out.push(`Claimed but not found: ${report.claims.unfound.join(', ') || 'none'}`);
  }
  if (report.crashes.length === 0) out.push('Crashes: none');
  else {
    out.push(`Crashes: ${report.crashes.length}`);
    for (const c of report.crashes) {
      const at =
        c.chain === null
          ? 'outside a chain call'
          : `${c.chain} ${c.event}, ${c.device === null ? 'NULL data' : `device ${c.device}`}`;
      out.push(`  ${at}, in ${c.block ?? 'an unknown block'}: ${c.message} (${c.where}) [${c.source}]`);
    }
  }
  const never = report.coverage.filter((c) => c.calls === 0);
  out.push(
    never.length === 0
      ? 'Blocks never called: none'
      : `Blocks never called: ${never.map((c) => `${c.chain}/${c.block}`).join(', ')}`,
  );
  out.push('');
  out.push(auditVerdictLine(report));
  return `${out.join('\n')}\n`;
}
