import fc from 'fast-check';
import { describe, it, vi } from 'vitest';
import { CORPUS, checkFile, FORMATS, NAMES, PARAMS, summary } from './harness.ts';

vi.mock('../../src/run/run.ts', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/run/run.ts')>();
  return { ...mod, runScenario: vi.fn(mod.runScenario) };
});

/** Bits of YAML that stress a parser: flow and block markers, anchors, aliases, tags, directives, documents. */
const GADGETS = [
  ':',
  ': ',
  '- ',
  '? ',
  '{',
  '}',
  '[',
  ']',
  ',',
  '#',
  '&a ',
  '*a',
  '!!binary ',
  '!!set ',
  '!!omap ',
  '!!str ',
  '!!int ',
  '!!float ',
  '!!js/function ',
  '!custom ',
  '<<: *a\n',
  '%YAML 1.1\n---\n',
  '%TAG ! tag:x,2000:\n---\n',
  '---\n',
  '\n...\n',
  '\n---\nsteps: [ls /sys]\n',
  '|',
  '>-',
  '"',
  "'",
  '\\',
  '\t',
  '\r\n',
  '\u0000',
  '\ufeff',
  '\u2028',
  '\ud800',
  ' '.repeat(40),
  'a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c]\n',
  `${'['.repeat(600)}${']'.repeat(600)}`,
  `${'{a: '.repeat(300)}1${'}'.repeat(300)}`,
  Array.from({ length: 120 }, (_, i) => `${' '.repeat(i)}- `).join('\n'),
  `steps:\n${'  - ls /sys\n'.repeat(300)}`,
  '99999999999999999999999999999999999999',
  '0x7fffffff',
  '.nan',
  '-.inf',
  '~',
  'null',
  '= ',
];

const edit = fc.record({
  op: fc.constantFrom(
    'truncate',
    'deleteLine',
    'duplicateLine',
    'swapLines',
    'insert',
    'replaceLine',
    'indent',
    'crlf',
    'repeat',
  ),
  at: fc.nat(),
  other: fc.nat(),
  gadget: fc.constantFrom(...GADGETS),
  word: fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 10 }), fc.string({ unit: 'binary', maxLength: 6 })),
  shift: fc.integer({ min: -4, max: 6 }),
  times: fc.integer({ min: 2, max: 50 }),
});

type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never;

function applyEdit(text: string, e: Edit): string {
  const lines = text.split('\n');
  const i = e.at % Math.max(1, lines.length);
  const j = e.other % Math.max(1, lines.length);
  switch (e.op) {
    case 'truncate':
      return text.slice(0, e.at % (text.length + 1));
    case 'deleteLine':
      lines.splice(i, 1);
      break;
    case 'duplicateLine':
      // A key given twice, a step twice, a device twice.
      lines.splice(i, 0, lines[i] ?? '');
      break;
    case 'swapLines':
      [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
      break;
    case 'insert': {
      const at = e.at % (text.length + 1);
      return text.slice(0, at) + (e.other % 2 === 0 ? e.gadget : e.word) + text.slice(at);
    }
    case 'replaceLine':
      lines[i] =
        `${(lines[i] ?? '').match(/^\s*(- )?/)?.[0] ?? ''}${e.word}${e.other % 3 === 0 ? `: ${e.gadget}` : ''}`;
      break;
    case 'indent':
      lines[i] = e.shift >= 0 ? `${' '.repeat(e.shift)}${lines[i]}` : (lines[i] ?? '').slice(-e.shift);
      break;
    case 'crlf':
      return text.replace(/\n/g, e.other % 2 === 0 ? '\r\n' : '\r');
    case 'repeat':
      lines.splice(i, 0, ...Array.from({ length: e.times }, () => lines[i] ?? ''));
      break;
  }
  return lines.join('\n');
}

describe('the scenario fuzz suite: text', () => {
  it('never throws on 2,500 built-in scenario texts cut, shuffled, re-indented and spliced with YAML gadgets', async () => {
    const start = performance.now();
    await fc.assert(
      fc.asyncProperty(
        fc.nat(CORPUS.length - 1),
        fc.array(edit, { minLength: 1, maxLength: 3 }),
        FORMATS,
        async (which, edits, format) => {
          let text = CORPUS[which]!.text;
          for (const e of edits) text = applyEdit(text, e);
          await checkFile(text, format);
        },
      ),
      PARAMS,
    );
    console.log(summary('text', performance.now() - start));
  }, 120_000);
});
