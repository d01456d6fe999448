import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../src/run/run.ts';
import { loadScenario } from '../src/scenario/load.ts';
import { APP, ensureBuilt, sim } from './helpers.ts';

describe('the README', () => {
  const readme = readFileSync(`${APP}README.md`, 'utf8');
  const example = readFileSync(`${APP}examples/first-scenario.yaml`, 'utf8');

  it('shows examples/first-scenario.yaml verbatim', () => {
    expect(readme).toContain(`\`\`\`yaml\n${example}\`\`\``);
  });

  it('shows a scenario that loads and whose expectations hold', () => {
    const r = loadScenario(example, 'examples/first-scenario.yaml');
    expect(r.ok).toBe(true);
    if (r.ok) expect(runScenario(r.scenario).expectations.filter((e) => !e.ok)).toEqual([]);
  });

  it('runs it as it says', () => {
    ensureBuilt();
    const r = sim(['run', 'examples/first-scenario.yaml']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('serial8250: probe of serial8250 failed with error -12');
  });

  it('documents the json shape: every field of the output appears in it', () => {
    ensureBuilt();
    const out = JSON.parse(sim(['run', 'bind-veto', '--format', 'json']).stdout);
    const section = readme.slice(readme.indexOf('### The json shape'));
    for (const key of [...Object.keys(out), ...Object.keys(out.steps[0]), ...Object.keys(out.expectations[0])]) {
      expect(section).toContain(`"${key}"`);
    }
  });
});
