import { readdirSync, readFileSync } from 'node:fs';
import parse from '@changesets/parse';
import { describe, expect, it } from 'vitest';

const dir = new URL('../../../.changeset/', import.meta.url);
// The workspace's packages: packages/* and apps/* (pnpm-workspace.yaml).
const packages = new Set(
  ['../../', '../../../apps/'].flatMap((root) =>
    readdirSync(new URL(root, import.meta.url)).flatMap((name) => {
      try {
        return [
          JSON.parse(readFileSync(new URL(`${root}${name}/package.json`, import.meta.url), 'utf8')).name as string,
        ];
      } catch {
        return [];
      }
    }),
  ),
);

describe('changesets', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md');

  it.each(files)('%s parses and names workspace packages with a bump type', (file) => {
    const { releases, summary } = parse(readFileSync(new URL(file, dir), 'utf8'));
    expect(releases.length).toBeGreaterThan(0);
    for (const r of releases) {
      expect(packages.has(r.name), r.name).toBe(true);
      expect(['patch', 'minor', 'major']).toContain(r.type);
    }
    expect(summary.trim().length).toBeGreaterThan(20);
  });
});
