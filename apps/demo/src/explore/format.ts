import type { ExploreReport, OutcomeClass } from './types.ts';

function percent(p: number): string {
  return p >= 0.01 ? `${(p * 100).toFixed(1)} %` : `${(p * 100).toPrecision(2)} %`;
}

function classLines(classes: readonly OutcomeClass[], runWord: string): string[] {
  const lines = [`${classes.length} outcome class${classes.length === 1 ? '' : 'es'}:`];
  for (const c of classes)
    lines.push(
      `  ${c.key}`,
      `    ${c.count} execution${c.count === 1 ? '' : 's'}; first at ${runWord} ${c.first}, schedule: ${c.schedule.length === 0 ? '(no switch points)' : c.schedule.join(' ')}`,
    );
  return lines;
}

/** The report as text: the settings, what was covered, and each outcome class with its first schedule. */
export function formatReport(r: ExploreReport): string {
  if (r.mode === 'systematic') {
    const bound = r.preemptionBound === null ? 'unbounded preemptions' : `preemption bound ${r.preemptionBound}`;
    const covered = {
      'every-schedule':
        'covered: every schedule (each run or equivalent to one run: independent steps reordered); the bound cut nothing',
      'within-bound': `covered: every schedule with at most ${r.preemptionBound} preemptions; ${r.preemptionCuts} alternatives lay beyond the bound`,
      'within-bound-reduced': `covered: schedules with at most ${r.preemptionBound} preemptions up to sleep-set reduction, which under a bound may skip some (not a proof: rerun with sleep sets off, or unbounded); ${r.preemptionCuts} alternatives lay beyond the bound`,
      partial: `covered: NOT complete, stopped at the limit of ${r.limit} runs`,
    }[r.coverage];
    return [
      `systematic exploration: ${bound}, sleep sets ${r.sleepSets ? 'on' : 'off'}, limit ${r.limit} runs`,
      covered,
      `executions ${r.executions}, cut by sleep sets ${r.sleepSetCuts}, cut at max steps ${r.depthCuts}`,
      ...classLines(r.classes, 'run'),
      '',
    ].join('\n');
  }
  return [
    `PCT: ${r.runs} runs, seed ${r.seed}, depth d=${r.depth}; first run: n=${r.tasks} tasks, k=${r.steps} steps`,
    `guarantee (Burckhardt et al. 2010): each run finds a given depth-${r.depth} bug with probability >= 1/(n*k^(d-1)) = ${percent(r.perRunProbability)}; ${r.runs} runs find it with probability >= 1-(1-p)^${r.runs} = ${percent(r.overallProbability)}`,
    `executions ${r.executions}, cut at max steps ${r.depthCuts}`,
    ...classLines(r.classes, 'run'),
    '',
  ].join('\n');
}
