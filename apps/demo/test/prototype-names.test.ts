import { describe, expect, it } from 'vitest';
import { formatCompare } from '../src/format/compare.ts';
import { formatJson } from '../src/format/json.ts';
import { render } from '../src/format/render.ts';
import { makeStyle } from '../src/format/style.ts';
import { runScenario } from '../src/run/run.ts';
import { loadScenario } from '../src/scenario/load.ts';

// Any name the kernel accepts survives into every output: names that are also Object.prototype's keys included.

const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];

const SCENARIO = `
description: devices named like Object.prototype's keys
topology:
  devices:
${NAMES.map((n) => `    - { bus: platform, name: ${n} }`).join('\n')}
  drivers:
${NAMES.map((n) => `    - { name: ${n}, bus: platform }`).join('\n')}
steps:
  - ls /sys/bus/platform/devices
expect:
  oops: none
  drivers:
${NAMES.map((n) => `    ${n}: ${n}`).join('\n')}
`;

function run() {
  const loaded = loadScenario(SCENARIO, 'proto.yaml');
  if (!loaded.ok) throw new Error(loaded.problems.map((p) => p.message).join('\n'));
  return runScenario(loaded.scenario);
}

describe('device and driver names such as __proto__', () => {
  it('are in the end state, bound, and the expectations about them hold', () => {
    const r = run();
    expect(Object.keys(r.devices).sort()).toEqual([...NAMES].sort());
    for (const n of NAMES) expect(Object.getOwnPropertyDescriptor(r.devices, n)?.value?.driver).toBe(n);
    expect(r.expectations.filter((e) => !e.ok)).toEqual([]);
    expect(r.expectations.filter((e) => NAMES.some((n) => e.message.startsWith(`${n} ends with`)))).toHaveLength(
      NAMES.length,
    );
  });

  it('survive into json', () => {
    const json = JSON.parse(JSON.stringify(formatJson(run())));
    expect(Object.keys(json.state.devices).sort()).toEqual([...NAMES].sort());
    expect(Object.getOwnPropertyDescriptor(json.state.devices, '__proto__')?.value).toEqual({
      bus: 'platform',
      driver: '__proto__',
      iommuGroup: null,
    });
  });

  it('survive into text, jsonl, mermaid and perfetto', () => {
    const r = run();
    const o = { style: makeStyle(false), verbose: true, width: 200 };
    const text = render(r, 'text', o);
    for (const n of NAMES) expect(text).toMatch(new RegExp(`^ {4}${n} +${n}$`, 'm'));
    const needles: Record<string, (n: string) => string> = {
      jsonl: (n) => `"type":"bind","what":"bound","device":"${n}","driver":"${n}"`,
      mermaid: (n) => `bound ${n} to ${n}`,
      perfetto: (n) => `"name":"bound ${n} ${n}"`,
    };
    for (const [format, needle] of Object.entries(needles)) {
      const out = render(r, format, o);
      for (const n of NAMES) expect(out, `${format} names ${n}`).toContain(needle(n));
    }
  });

  it('survive into sim compare', () => {
    const text = formatCompare([run(), run()], { style: makeStyle(false), width: 200 });
    // (compare cuts names longer than its margin, hasOwnProperty among them)
    for (const n of NAMES.filter((x) => x.length <= 12)) expect(text).toMatch(new RegExp(`^\\s*${n}\\s`, 'm'));
  });
});
