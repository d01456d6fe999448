import { describe, expect, it } from 'vitest';
import { formatJsonl } from '../src/format/jsonl.ts';
import { formatKtap } from '../src/format/ktap.ts';
import { formatMermaid, mermaidText } from '../src/format/mermaid.ts';
import { formatPerfetto } from '../src/format/perfetto.ts';
import { makeStyle } from '../src/format/style.ts';
import { formatText } from '../src/format/text.ts';
import { runScenario } from '../src/run/run.ts';
import { checkKtap, checkMermaid, checkTraceEvents } from './formats.ts';
import { builtin, builtinNames, runnableProfiles } from './helpers.ts';

describe('the outputs of every built-in scenario under every profile', () => {
  for (const name of builtinNames()) {
    const scenario = builtin(name);
    for (const profile of runnableProfiles(scenario)) {
      describe(`${name} under ${profile}`, () => {
        const run = runScenario(scenario, profile);

        it('draws a well-formed Mermaid sequence diagram', () => {
          expect(checkMermaid(formatMermaid(run))).toEqual([]);
        });

        it('writes trace-event JSON that Perfetto opens', () => {
          const doc = JSON.parse(JSON.stringify(formatPerfetto(run)));
          expect(checkTraceEvents(doc)).toEqual([]);
          const tracks = doc.traceEvents
            .filter((e: { name: string }) => e.name === 'thread_name')
            .map((e: { args: { name: string } }) => e.args.name);
          expect(tracks).toContain('steps');
          const chains = run.events.some((e) => e.type.startsWith('chain.'));
          expect(tracks.some((t: string) => t.endsWith(' chain'))).toBe(chains);
        });

        it('writes KTAP v1 with one result per expectation', () => {
          const ktap = formatKtap(run);
          expect(checkKtap(ktap)).toEqual([]);
          expect(ktap).toContain(`1..${run.expectations.length}`);
        });

        it('writes the trace stream as JSON Lines, a step marker before each step', () => {
          const lines = formatJsonl(run)
            .trimEnd()
            .split('\n')
            .map((l) => JSON.parse(l));
          // The steps, then each task's steps in the order they ended (a task's step marker names its task).
          const steps = lines.filter((l) => l.type === 'step');
          expect(steps.map((l) => l.line)).toEqual(run.steps.map((s) => s.step.line));
          expect(steps.slice(0, scenario.steps.length).map((l) => l.line)).toEqual(scenario.steps.map((s) => s.line));
          expect(steps.slice(scenario.steps.length).every((l) => typeof l.task === 'string')).toBe(true);
          expect(lines.every((l) => typeof l.type === 'string')).toBe(true);
        });

        it('narrates within 80 columns, without colour codes when colour is off', () => {
          const text = formatText(run, { style: makeStyle(false), width: 80 });
          const long = text.split('\n').filter((l) => l.length > 80);
          expect(long).toEqual([]);
          expect(text).not.toContain('\u001b[');
        });
      });
    }
  }
});

describe('mermaidText', () => {
  it('keeps statement breaks, entities and tags out of a message', () => {
    expect(mermaidText('a;b #1 <x>\nc')).toBe('a,b no.1 ‹x> c');
  });
});

describe('the checkers', () => {
  it('catch what they are for', () => {
    expect(checkMermaid('sequenceDiagram\n  a->>b: x\n')).toContain('participant a used but not declared');
    expect(checkTraceEvents({ traceEvents: [{ name: 'x', ph: 'B', pid: 1, tid: 1, ts: 1 }] })).toContain(
      '1/1: 1 B without E',
    );
    expect(checkKtap('KTAP version 1\n1..2\nok 1 a\n')).toContain('plan and results disagree');
  });
});
