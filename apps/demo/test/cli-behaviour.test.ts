import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { APP, ensureBuilt, sim } from './helpers.ts';

// Issue 12 §3: every command that takes --format honours it, with documented and schema-checked json shapes; piped
// output is never cut and COLUMNS is honoured.

beforeAll(() => ensureBuilt());

const schema = (name: string) => JSON.parse(readFileSync(`${APP}${name}`, 'utf8'));
function validator(name: string) {
  const ajv = new Ajv({ strict: true, allErrors: true });
  ajv.addSchema(schema('run-output.schema.json'), 'run-output.schema.json');
  return ajv.compile(schema(name));
}

describe('--format json of compare, explain and audit', () => {
  it('sim compare --format json: the runs and the first difference, in compare-output.schema.json', () => {
    const r = sim(['compare', 'seed', '--profiles', 'v4.12,rfc-2017,v6.12', '--format', 'json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    const check = validator('compare-output.schema.json');
    expect(check(out), JSON.stringify(check.errors)).toBe(true);
    expect(out.profiles).toEqual(['v4.12', 'rfc-2017', 'v6.12']);
    expect(out.firstDifference).toEqual({
      step: 14,
      line: 58,
      text: 'echo 0000:01:00.1 > /sys/bus/pci/drivers/snd_hda_intel/bind',
    });
    expect(out.runs.map((x: { oops: unknown }) => x.oops === null)).toEqual([false, true, true]);
    expect(out.ok).toBe(true);
  });

  it('sim explain --format json: the group as data, in explain-output.schema.json', () => {
    const r = sim(['explain', 'seed', '--group', '1', '--format', 'json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    const check = validator('explain-output.schema.json');
    expect(check(out), JSON.stringify(check.errors)).toBe(true);
    expect(out).toMatchObject({ scenario: 'seed', profile: 'rfc-2017', explanation: { group: 1, viable: true } });
    expect(out.after.step).toBe(15);
    expect(out.explanation.text).toContain('IOMMU group 1 (/sys/kernel/iommu_groups/1), profile rfc-2017');
  });

  it('sim audit --format json, with and without a scenario, in audit-output.schema.json', () => {
    const check = validator('audit-output.schema.json');
    for (const args of [['audit'], ['audit', 'seed', '--profile', 'v4.12']]) {
      const r = sim([...args, '--format', 'json']);
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(check(out), JSON.stringify(check.errors)).toBe(true);
    }
  });

  it('every command with --format refuses a format it does not have', () => {
    expect(sim(['explain', 'seed', '--group', '1', '--format', 'mermaid']).stderr).toBe(
      "sim explain: unknown format 'mermaid'; formats: text, json, html\n",
    );
  });
});

describe('the width of text output', () => {
  const longest = (s: string) => Math.max(...s.split('\n').map((l) => l.length));
  it('piped (not a terminal, no COLUMNS): nothing is cut', () => {
    const r = sim(['compare', 'seed', '--profiles', 'v4.12,rfc-2017,v6.12']);
    expect(r.stdout).not.toContain('…');
    expect(r.stdout).toContain('NOTIFY_BAD propagated');
    expect(longest(r.stdout)).toBeGreaterThan(100);
    const list = sim(['list']);
    expect(list.stdout).not.toContain('…');
  });

  it('COLUMNS is honoured: 80 and 200', () => {
    const narrow = sim(['compare', 'seed', '--profiles', 'v4.12,rfc-2017,v6.12'], { env: { COLUMNS: '80' } });
    expect(longest(narrow.stdout)).toBeLessThanOrEqual(80);
    const wide = sim(['list'], { env: { COLUMNS: '200' } });
    expect(longest(wide.stdout)).toBeGreaterThan(100);
    expect(longest(wide.stdout)).toBeLessThanOrEqual(200);
    const list80 = sim(['list'], { env: { COLUMNS: '80' } });
    expect(longest(list80.stdout)).toBeLessThanOrEqual(80);
  });
});

describe('starting sim from the repository', () => {
  const root = `${APP}../../`;
  const rootPkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
  it('the workspace links the bin (pnpm --filter @sim/demo exec sim, pnpm exec sim) and pnpm sim runs it', () => {
    expect(rootPkg.devDependencies['@sim/demo']).toBe('workspace:*');
    expect(JSON.parse(readFileSync(`${APP}package.json`, 'utf8')).bin).toEqual({ sim: './bin/sim.js' });
    expect(rootPkg.scripts.sim).toBe('node apps/demo/bin/sim.js');
    // The link pnpm made at install (its target is committed, so it exists before any build).
    const r = spawnSync(`${root}node_modules/.bin/sim`, ['--version'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^sim \d+\.\d+\.\d+/);
  });

  it('unbuilt, the bin says how to build instead of a module-not-found trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-unbuilt-'));
    try {
      mkdirSync(join(dir, 'bin'));
      copyFileSync(`${APP}bin/sim.js`, join(dir, 'bin', 'sim.js'));
      const r = spawnSync(process.execPath, [join(dir, 'bin', 'sim.js'), 'run', 'seed'], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^sim: the command is not built yet; build it with `npx -y pnpm@10\.34\.9 build`/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("pnpm demo shows the build's progress on stderr and keeps stdout for the comparison", () => {
    expect(rootPkg.scripts.demo).not.toContain('/dev/null');
    expect(rootPkg.scripts.demo).toMatch(/--output-logs=hash-only >&2/);
    const readme = readFileSync(`${root}README.md`, 'utf8');
    expect(readme).toContain('npx -y pnpm@10.34.9 install && npx -y pnpm@10.34.9 demo');
  });
});
