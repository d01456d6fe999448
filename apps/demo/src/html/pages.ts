import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AuditReport } from '@sim/core';
import { builtinPath } from '../builtins.ts';
import { runScenario } from '../run/run.ts';
import type { Scenario } from '../scenario/types.ts';
import { machineState } from '../whatif/state.ts';
import type { WhatIfResult } from '../whatif/whatif.ts';
import { differingSteps, type PageData, type PageSource, pageRun, StateRecorder } from './data.ts';
import { renderHtml } from './render.ts';

/** Where the page's what-if gets the scenario from: its text (as loaded), or why the page cannot rerun it. */
export function pageSource(
  scenario: Scenario,
  arg: string,
  cwd: string | undefined,
): { source: PageSource | null; note: string | null } {
  const modules = scenario.plugins.filter((p) => p.entry.module !== undefined).map((p) => p.name);
  if (modules.length > 0) {
    return {
      source: null,
      note: `The in-page what-if is off: the scenario uses plugin modules given with --plugin (${modules.join(', ')}), which the page does not carry; use sim explain --what-if.`,
    };
  }
  const looksLikeFile = arg.includes('/') || /\.ya?ml$/.test(arg);
  const path = looksLikeFile ? resolve(cwd ?? '.', arg) : builtinPath(arg);
  if (path === null || !existsSync(path)) return { source: null, note: 'The scenario file could not be read again.' };
  return { source: { text: readFileSync(path, 'utf8'), file: scenario.file, inject: scenario.inject }, note: null };
}

/** Runs the scenario under each profile, recording the machine after the boot and after each step. */
function pageRuns(scenario: Scenario, profiles: readonly string[]) {
  const results = profiles.map((profile) => {
    const rec = new StateRecorder();
    const run = runScenario(scenario, profile, { afterStep: (k) => rec.add(machineState(k)) });
    return { run, page: pageRun(run, rec) };
  });
  return { runs: results.map((r) => r.run), pages: results.map((r) => r.page) };
}

const scenarioInfo = (s: Scenario) => ({ name: s.name, file: s.file, description: s.description });

/** The html page of `sim run` (one profile) or `sim compare` (several). Returns the page and whether every run held. */
export function runsPage(
  kind: 'run' | 'compare',
  scenario: Scenario,
  profiles: readonly string[],
  src: { source: PageSource | null; note: string | null },
  whatIfProfiles: readonly string[],
): { html: string; ok: boolean } {
  const { runs, pages } = pageRuns(scenario, profiles);
  const diff = kind === 'compare' ? differingSteps(runs) : { first: -1, all: [] };
  const data: PageData = {
    kind,
    title: kind === 'run' ? `${scenario.name} under ${profiles[0]}` : `${scenario.name}: ${profiles.join(' vs ')}`,
    scenario: scenarioInfo(scenario),
    runs: pages,
    firstDifference: diff.first,
    differs: diff.all,
    openAt: 0,
    explain: null,
    whatIf: null,
    whatIfProfiles,
    source: src.source,
    sourceNote: src.note,
    audit: null,
  };
  return { html: renderHtml(data), ok: runs.every((r) => r.ok) };
}

/** The html page of `sim explain`: the run(s), opened at the step the explanation or the what-if is about. */
export function explainPage(
  scenario: Scenario,
  profiles: readonly string[],
  src: { source: PageSource | null; note: string | null },
  what: { explain: { group: number; text: string } | null; whatIf: WhatIfResult | null },
): string {
  const { pages } = pageRuns(scenario, profiles);
  const last = Math.max(0, scenario.steps.length - 1);
  const openAt = what.whatIf === null ? last : Math.max(0, what.whatIf.after - 1);
  return renderHtml({
    kind: 'explain',
    title:
      what.whatIf !== null
        ? `${scenario.name}: what if ${what.whatIf.actions.join('; ')}`
        : `${scenario.name}: IOMMU group ${what.explain?.group} under ${profiles[0]}`,
    scenario: scenarioInfo(scenario),
    runs: pages,
    firstDifference: -1,
    differs: [],
    openAt,
    explain: what.explain,
    whatIf: what.whatIf,
    whatIfProfiles: profiles,
    source: src.source,
    sourceNote: src.note,
    audit: null,
  });
}

/** The html page of `sim audit`. */
export function auditPage(report: AuditReport, scenario: Scenario | null): string {
  return renderHtml({
    kind: 'audit',
    title: `sim audit: ${scenario === null ? "the seed's due diligence" : scenario.name} under ${report.profile}`,
    scenario: scenario === null ? null : scenarioInfo(scenario),
    runs: [],
    firstDifference: -1,
    differs: [],
    openAt: 0,
    explain: null,
    whatIf: null,
    whatIfProfiles: [],
    source: null,
    sourceNote: null,
    audit: report,
  });
}
