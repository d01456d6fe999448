import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenario, MAX_PROBLEMS } from '../src/scenario/load.ts';
import { MAX_DEPTH } from '../src/scenario/structure.ts';
import { APP } from './helpers.ts';

// Scenario files from an adversarial audit (issue 12): each is refused with a clear message at its position, in
// time linear in its size, and nothing runs.

function problems(text: string): string[] {
  const r = loadScenario(text, 'bad.yaml');
  if (r.ok) throw new Error('the file was accepted');
  return r.problems.map(formatProblem);
}

const STEPS = 'steps: [ls /sys]\n';

describe('nesting and structure', () => {
  it('block mappings nested 2,000 deep: one message, no stack overflow', () => {
    const deep = `${Array.from({ length: 2000 }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n')} 1\n${STEPS}`;
    const ps = problems(deep);
    expect(ps).toHaveLength(1);
    expect(ps[0]).toMatch(/nest too deep for the YAML parser|nest more than 64 deep/);
    expect(ps[0]).toMatch(new RegExp(`expected at most ${MAX_DEPTH} levels of nesting$`));
  });

  it('flow lists nested 5,000 deep, and 100 deep (under what the parser copes with)', () => {
    for (const n of [100, 5000]) {
      const ps = problems(`x: ${'['.repeat(n)}${']'.repeat(n)}\n${STEPS}`);
      expect(ps).toHaveLength(1);
      expect(ps[0]).toMatch(/^bad\.yaml:1:\d+: mappings and lists nest/);
    }
  });

  it('a complex key is refused, without a Node warning', () => {
    const warnings: unknown[] = [];
    const onWarning = (w: unknown) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      expect(problems(`name: x\n? [a, b]\n: 1\n${STEPS}`)).toEqual([
        'bad.yaml:2:3: a key that is a mapping or a list; expected a plain key such as name: or steps:',
      ]);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it('custom tags and %TAG directives are refused', () => {
    expect(problems(`name: !custom x\n${STEPS}`)).toEqual([
      "bad.yaml:1:15: custom tag '!custom'; expected plain YAML: a scenario file has no custom tags (remove the tag)",
    ]);
    const ps = problems(`%TAG !e! tag:example.com,2000:\n---\nname: !e!foo x\n${STEPS}`);
    expect(ps[0]).toBe(
      "bad.yaml:1:1: a %TAG directive ('!e!' for 'tag:example.com,2000:'); expected plain YAML: a scenario file has no custom tags",
    );
    expect(ps[1]).toMatch(/^bad\.yaml:3:\d+: custom tag 'tag:example\.com,2000:foo'/);
    // The core schema's own tags stay allowed.
    expect(loadScenario(`name: !!str x\n${STEPS}`, 'ok.yaml').ok).toBe(true);
  });
});

describe('numbers', () => {
  it('NaN and Infinity are named as YAML writes them, not as null', () => {
    expect(problems(`name: x\ndescription: .nan\nprofile: .inf\n${STEPS}`)).toEqual([
      'bad.yaml:2:14: description: .nan is a number; expected a string',
      "bad.yaml:3:10: profile: .inf is a number; expected one of 'v4.12', 'v4.12+bind-veto', 'v6.12', 'rfc-2017'",
    ]);
    const inf = problems(
      `plugins: [iommu-group]\ntopology:\n  devices:\n    - { bus: pci, address: "0000:01:00.0", vendor: 1, device: 2, iommuGroup: -.inf }\n${STEPS}`,
    );
    expect(inf).toEqual([
      expect.stringMatching(/^bad\.yaml:4:\d+: topology\.devices\[0\]\.iommuGroup: -\.inf is not a finite number/),
    ]);
  });

  it('1e300 where an integer goes: one message, at the value', () => {
    const ps = problems(
      `plugins: [iommu-group]\ntopology:\n  devices:\n    - { bus: pci, address: "0000:01:00.0", vendor: 1, device: 2, iommuGroup: 1e300 }\n${STEPS}`,
    );
    expect(ps).toHaveLength(1);
    expect(ps[0]).toMatch(/^bad\.yaml:4:\d+: topology\.devices\[0\]\.iommuGroup: 1e\+300 is too large for an integer/);
  });
});

describe('1e300 in a plugin option of a device', () => {
  it('tce.pe: 1e300 is refused at the value', () => {
    const text = readFileSync(`${APP}scenarios/tce-already-grouped.yaml`, 'utf8');
    expect(text).toContain('tce: { pe: 1 }');
    const ps = problems(text.replace('tce: { pe: 1 }', 'tce: { pe: 1e300 }'));
    expect(ps).toEqual([
      expect.stringMatching(/^bad\.yaml:\d+:\d+: topology\.devices\[0\]\.tce\.pe: 1e\+300 is too large for an integer/),
    ]);
  });
});

describe('keys named after Object.prototype members', () => {
  for (const key of ['toString', 'valueOf', 'constructor', 'hasOwnProperty', '__proto__']) {
    it(`'${key}' is an unknown key at the top, in a device, a driver and a step`, () => {
      const text = [
        `${key}: 1`,
        'topology:',
        `  devices: [{ bus: pci, address: "0000:01:00.0", vendor: 1, device: 2, ${key}: 1 }]`,
        `  drivers: [{ name: d, bus: pci, ${key}: 1 }]`,
        `steps: [{ run: ls /sys, ${key}: 1 }]`,
        '',
      ].join('\n');
      const ps = problems(text);
      expect(ps.filter((p) => p.includes(`unknown key '${key}'`))).toHaveLength(4);
    });
  }
});

describe('messages', () => {
  it('a { run: … } step points at the bad word itself', () => {
    const text = ['topology:', '  devices: []', 'steps:', '  - ls /sys', '  - { run: echo 1 > /sys/bus/pci/nope }', ''];
    const ps = problems(text.join('\n'));
    const col = text[4]!.indexOf('nope') + 1;
    expect(ps).toEqual([expect.stringMatching(new RegExp(`^bad\\.yaml:5:${col}: steps\\[1\\]: unknown entry 'nope'`))]);
  });

  it('a string that does not have the accepted form is not "expected a string"', () => {
    const ps = problems('steps:\n  - { run: ls /sys, expect: banana }\n');
    expect(ps).toHaveLength(1);
    expect(ps[0]).toMatch(/'banana' is not an accepted value here; expected a result/);
    expect(ps[0]).not.toMatch(/expected a string$/);
  });

  it('schema problems and name problems in one pass', () => {
    const ps = problems(
      [
        'profile: v5.0',
        'steps:',
        '  - ls /sys/bus/pci/devices/0000:09:00.0',
        '  - { run: ls /sys, expect: banana }',
        '',
      ].join('\n'),
    );
    expect(ps).toEqual([
      expect.stringMatching(/^bad\.yaml:1:10: profile: 'v5\.0' is not allowed here/),
      expect.stringMatching(/^bad\.yaml:4:\d+: steps\[1\]\.expect: 'banana' is not an accepted value/),
      expect.stringMatching(/^bad\.yaml:3:\d+: steps\[0\]: unknown device '0000:09:00\.0'/),
    ]);
  });
});

describe('many problems: linear time, a capped report', () => {
  const count = (text: string) => {
    const r = loadScenario(text, 'bad.yaml');
    if (r.ok) throw new Error('accepted');
    return { shown: r.problems.length, omitted: r.omitted };
  };
  it('thousands of syntax errors, duplicate keys or unknown keys: the first 100 shown, the rest counted', () => {
    const syntax = `steps: [ls /sys]\n${'  - : ]\n'.repeat(2_000)}`;
    const dups = `steps: [ls /sys]\n${'steps: 1\n'.repeat(2_000)}`;
    const unknown = `steps: [ls /sys]\n${Array.from({ length: 4_000 }, (_, i) => `k${i}: 1\n`).join('')}`;
    for (const text of [dups, unknown]) {
      const c = count(text);
      expect(c.shown).toBe(MAX_PROBLEMS);
      expect(c.shown + c.omitted).toBe(text === dups ? 2_000 : 4_000);
    }
    const s = count(syntax);
    expect(s.shown).toBeLessThanOrEqual(MAX_PROBLEMS);
    expect(s.shown + s.omitted).toBeGreaterThan(MAX_PROBLEMS);
  });
});
