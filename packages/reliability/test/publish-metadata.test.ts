import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// What a registry and its users see of each package: the release pipeline's settings and the package metadata.
// The end-to-end proof (publish to a real registry, install, run) is packages/publish-e2e.

const root = new URL('../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

interface Manifest {
  name: string;
  private?: boolean;
  license?: string;
  keywords?: string[];
  repository?: { type: string; url: string; directory?: string };
  homepage?: string;
  bugs?: { url: string };
  exports?: Record<string, unknown>;
  main?: string;
  bin?: Record<string, string>;
  publishConfig?: { access?: string };
}

const workspace = ['packages', 'apps'].flatMap((dir) =>
  readdirSync(new URL(`${dir}/`, root))
    .filter((name) => existsSync(new URL(`${dir}/${name}/package.json`, root)))
    .map((name) => ({ dir: `${dir}/${name}`, pkg: JSON.parse(read(`${dir}/${name}/package.json`)) as Manifest })),
);
const published = workspace.filter((w) => w.pkg.private !== true);
const libraries = published.filter((w) => w.pkg.bin === undefined);
const rootManifest = JSON.parse(read('package.json')) as Manifest & { scripts: Record<string, string> };

describe('the release pipeline', () => {
  it('publishes scoped packages publicly (a first scoped publish with restricted access is refused)', () => {
    expect(JSON.parse(read('.changeset/config.json')).access).toBe('public');
  });

  it('has the version, release, docs and attw scripts, and pnpm test runs attw', () => {
    expect(rootManifest.scripts['version-packages']).toBe('changeset version');
    expect(rootManifest.scripts.release).toBe('pnpm build && changeset publish');
    expect(rootManifest.scripts.docs).toBe('typedoc');
    expect(rootManifest.scripts.test).toContain('pnpm attw');
  });

  it('publishes every package but the reliability suites, the sim command included', () => {
    expect(published.map((w) => w.pkg.name).sort()).toEqual([
      '@sim/acpi-lpss',
      '@sim/core',
      '@sim/demo',
      '@sim/fuse',
      '@sim/i2cdev',
      '@sim/iommu-group',
      '@sim/keystone',
      '@sim/tce-iommu',
      '@sim/vfio',
    ]);
    expect(workspace.find((w) => w.pkg.name === '@sim/demo')?.pkg.bin).toEqual({ sim: './bin/sim.js' });
  });
});

describe.each(published)('$pkg.name', ({ dir, pkg }) => {
  it('has a LICENSE file, the license, repository (with its directory), homepage, bugs and keywords', () => {
    expect(read(`${dir}/LICENSE`)).toBe(read('LICENSE'));
    expect(pkg.license).toBe('MIT');
    expect(pkg.repository).toEqual({ type: 'git', url: rootManifest.repository!.url, directory: dir });
    expect(pkg.homepage).toBe(`${rootManifest.repository!.url.replace(/^git\+|\.git$/g, '')}/tree/main/${dir}#readme`);
    expect(pkg.bugs).toEqual(rootManifest.bugs);
    expect(pkg.keywords?.length).toBeGreaterThan(0);
    expect(pkg.publishConfig).toEqual({ access: 'public' });
  });
});

describe.each(libraries)('$pkg.name is ESM only, visibly', ({ dir, pkg }) => {
  it('exports only an import condition, types nested in it, and no main', () => {
    expect(pkg.exports?.['.']).toEqual({ import: { types: './dist/index.d.ts', default: './dist/index.js' } });
    expect(pkg.main).toBeUndefined();
    expect(JSON.parse(read(`${dir}/package.json`)).scripts.attw).toBe('attw --pack . --profile esm-only');
  });

  it('its README says so and links its API reference, which typedoc builds', () => {
    const readme = read(`${dir}/README.md`);
    const slug = pkg.name.replace('@', '_').replace('/', '_');
    expect(readme).toContain('ESM only');
    expect(readme).toContain(`(../../docs/api/modules/${slug}.html)`);
    expect(JSON.parse(read('typedoc.json')).entryPoints).toContain(dir);
  });
});
