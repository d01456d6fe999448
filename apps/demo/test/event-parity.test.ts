import type { TraceEvent } from '@sim/core';
import { describe, expect, it } from 'vitest';
import { formatJson } from '../src/format/json.ts';
import { formatJsonl } from '../src/format/jsonl.ts';
import { formatMermaid } from '../src/format/mermaid.ts';
import { formatPerfetto } from '../src/format/perfetto.ts';
import { RUN_RENDERERS } from '../src/format/render.ts';
import { makeStyle } from '../src/format/style.ts';
import { formatText } from '../src/format/text.ts';
import { type RunResult, runScenario } from '../src/run/run.ts';
import { builtin, builtinNames, runnableProfiles } from './helpers.ts';

// One event stream: what the kernel emitted from its first event (the plugins' setups and the boot included) is
// what every output format shows, each in its own way. For each format, the events it renders are read back out of
// the output and compared with the stream.

type Ev<T extends TraceEvent['type']> = Extract<TraceEvent, { type: T }>;
const of = <T extends TraceEvent['type']>(run: RunResult, type: T): Ev<T>[] =>
  run.events.filter((e): e is Ev<T> => e.type === type);
const seqs = (events: readonly TraceEvent[]) => events.map((e) => e.seq);
const strip = (line: string) => line.replace(/^\[\s*\d+\.\d+\] /, '');
const count = (text: string, re: RegExp) => text.split('\n').filter((l) => re.test(l)).length;

/** How each format shows the stream, and what a test can read back out of it. Every format must be listed here. */
const EXTRACTORS: Record<string, ((run: RunResult) => void) | 'no events'> = {
  jsonl: (run) => {
    const lines = formatJsonl(run)
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; seq?: number });
    expect(lines.filter((l) => l.type !== 'step').map((l) => l.seq)).toEqual(seqs(run.events));
  },
  perfetto: (run) => {
    const doc = formatPerfetto(run);
    const shown = new Set<number>();
    for (const e of doc.traceEvents) if (typeof e.args?.seq === 'number') shown.add(e.args.seq);
    expect([...shown].sort((a, b) => a - b)).toEqual(seqs(run.events));
  },
  json: (run) => {
    const json = JSON.parse(JSON.stringify(formatJson(run))) as ReturnType<typeof formatJson>;
    expect(json.dmesg.map(strip)).toEqual(of(run, 'dmesg').map((e) => e.text));
    const oops = of(run, 'oops')[0];
    expect(json.oops?.message ?? null).toBe(oops?.message ?? null);
  },
  text: (run) => {
    const text = formatText(run, { style: makeStyle(false), verbose: true, width: 100_000 });
    for (const e of of(run, 'dmesg')) expect(text).toContain(e.text);
    for (const e of of(run, 'splat')) expect(text).toContain(e.splat.message);
    for (const e of of(run, 'oops')) expect(text).toContain(`the task dies: ${e.message}`);
    expect(count(text, /^\s+probe \S+ \S+ = /)).toBe(of(run, 'probe').length);
    expect(count(text, /^\s+(bound|not bound|unbound|refused) \S+ (to|from) \S+(: .*)?$/)).toBe(of(run, 'bind').length);
    expect(count(text, /^\s+device_(add|del) \S+ \(\S+\)$/)).toBe(of(run, 'device').length);
    expect(count(text, /^\s+driver_(un)?register \S+ = /)).toBe(of(run, 'driver').length);
  },
  mermaid: (run) => {
    const text = formatMermaid(run);
    expect(count(text, /^ {2}\w+->>d\d+: probe /)).toBe(of(run, 'probe').length);
    expect(count(text, /^ {2}b\d+-->>c\d+: /)).toBe(of(run, 'chain.block').length);
    expect(count(text, /^ {2}Note over \w+: (bound|not bound|unbound|refused) /)).toBe(of(run, 'bind').length);
  },
  ktap: 'no events', // KTAP reports the expectations, one test each; it carries no events
};

describe('every format shows the same events', () => {
  it('every output format has an extractor here', () => {
    expect(Object.keys(RUN_RENDERERS).sort()).toEqual(Object.keys(EXTRACTORS).sort());
  });

  for (const name of builtinNames()) {
    const scenario = builtin(name);
    for (const profile of runnableProfiles(scenario)) {
      describe(`${name} under ${profile}`, () => {
        const run = runScenario(scenario, profile);
        it("the stream starts at the kernel's first event: the plugins' setup lines are events too", () => {
          const logged = run.records.map((r) => r.text);
          expect(of(run, 'dmesg').map((e) => e.text)).toEqual(logged);
          expect(run.events[0]?.seq).toBe(0);
          expect(seqs(run.events)).toEqual(run.events.map((_, i) => i));
        });
        for (const [format, extract] of Object.entries(EXTRACTORS)) {
          if (extract === 'no events') continue;
          it(`${format} shows every event of the stream, boot included`, () => extract(run));
        }
      });
    }
  }
});
