import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { APP, ensureBuilt, simInProcess } from '../helpers.ts';

// The html file itself, without a browser: its policy's hashes are its own script and style, nothing in a scenario
// can end the data element, and the page carries what it needs for the in-page what-if (or says why not).

beforeAll(() => ensureBuilt());

const sha = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

function parts(html: string) {
  const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1]!;
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
  const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)].map((m) => ({
    attrs: m[1]!,
    body: m[2]!,
  }));
  return { policy, style, scripts };
}

function dataOf(html: string) {
  const json = parts(html).scripts.find((s) => s.attrs.includes('application/json'))!.body;
  return JSON.parse(json);
}

describe('--format html', () => {
  it("the policy allows exactly the page's own script and stylesheet, by hash, and nothing else", async () => {
    const r = await simInProcess(['compare', 'seed', '--format', 'html']);
    expect(r.status).toBe(0);
    const { policy, style, scripts } = parts(r.stdout);
    const code = scripts.filter((s) => !s.attrs.includes('application/json'));
    expect(code).toHaveLength(1);
    expect(policy).toBe(
      `default-src 'none'; script-src ${sha(code[0]!.body)}; style-src ${sha(style)}; base-uri 'none'; form-action 'none'`,
    );
    expect(r.stdout).not.toMatch(/<link|src=|href=|@import|url\(/i);
    expect(r.stdout).not.toMatch(/ style="/);
  });

  it('text from a scenario cannot end the data element or run as markup', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-html-'));
    const seed = readFileSync(`${APP}scenarios/seed.yaml`, 'utf8');
    const hostile = '</script><script>alert(1)</script><!-- \u2028 <img src=x onerror=alert(2)>';
    const file = join(dir, 'hostile.yaml');
    writeFileSync(file, seed.replace(/^description: >-\n( {2}.*\n)+/m, `description: ${JSON.stringify(hostile)}\n`));
    const r = await simInProcess(['run', file, '--profile', 'rfc-2017', '--format', 'html']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.match(/<\/script>/g)).toHaveLength(2);
    expect(r.stdout).not.toContain('<img');
    expect(dataOf(r.stdout).scenario.description).toBe(hostile);
    expect(dataOf(r.stdout).source.text).toContain('alert(1)');
  });

  it('exits as the text format does: 1 when an expectation fails, 2 for bad input', async () => {
    expect((await simInProcess(['run', 'seed', '--profile', 'v4.12', '--format', 'html'])).status).toBe(0);
    const failing = await simInProcess([
      'run',
      'seed',
      '--profile',
      'v4.12',
      '--format',
      'html',
      '--inject',
      'probe:vfio-pci=-ENOMEM',
    ]);
    expect(failing.status).toBe(1);
    expect(failing.stdout).toMatch(/^<!doctype html>/);
    const bad = await simInProcess(['compare', 'seed', '--profiles', 'v9', '--format', 'html']);
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
  });

  it('carries the scenario and its --inject injections for the in-page what-if; a --plugin module turns it off', async () => {
    const injected = dataOf(
      (await simInProcess(['run', 'seed', '--format', 'html', '--inject', 'pci:BUS_NOTIFY_BIND_DRIVER=NOTIFY_BAD']))
        .stdout,
    );
    expect(injected.source.file).toBe('scenarios/seed.yaml');
    expect(injected.source.inject.map((d: { text: string }) => d.text)).toEqual([
      expect.stringContaining('BUS_NOTIFY_BIND_DRIVER'),
    ]);
    const mod = await simInProcess([
      'run',
      'examples/netdev.yaml',
      '--plugin',
      'examples/netdev-plugin.mjs',
      '--format',
      'html',
    ]);
    const data = dataOf(mod.stdout);
    expect(data.source).toBeNull();
    expect(data.sourceNote).toContain('--plugin');
  });

  it('explain and audit write pages of their own kind', async () => {
    const ex = dataOf((await simInProcess(['explain', 'seed', '--group', '1', '--format', 'html'])).stdout);
    expect(ex.kind).toBe('explain');
    expect(ex.explain.text).toContain('group 1');
    const wi = dataOf(
      (
        await simInProcess([
          'explain',
          'seed',
          '--after',
          '13',
          '--what-if',
          'echo 0000:01:00.1 > /sys/bus/pci/drivers/snd_hda_intel/bind',
          '--format',
          'html',
        ])
      ).stdout,
    );
    expect(wi.whatIf.outcomes).toHaveLength(4);
    expect(wi.openAt).toBe(12);
    const audit = dataOf((await simInProcess(['audit', '--format', 'html'])).stdout);
    expect(audit.kind).toBe('audit');
    expect(audit.audit.findings.length).toBeGreaterThan(0);
  });
});
