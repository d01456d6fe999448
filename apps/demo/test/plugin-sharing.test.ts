import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP, ensureBuilt, sim, simInProcess } from './helpers.ts';

// A plugin module written outside this repository, in a directory of its own: with no node_modules beside it, or
// with its own copy of the @sim packages. Either way its `@sim/*` imports must be the app's own copies (one copy of
// each package in the process), and its factory is called only with the scenario's options.

let dir = '';

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'sim-outside-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A plugin that needs @sim/iommu-group's state on the app's kernel and requires an option. */
const GRP = `import { KERN_INFO } from '@sim/core';
import { IOMMU_GROUP_PLUGIN, iommuGroups } from '@sim/iommu-group';
import { explainGroup } from '@sim/vfio';

export const pluginName = 'grp';

export default function grp(options) {
  if (typeof options.tag !== 'string') throw new TypeError('grp: options.tag (a string) is required');
  return {
    name: 'grp',
    dependencies: [IOMMU_GROUP_PLUGIN],
    setup(kernel) {
      kernel.printk(KERN_INFO, \`grp \${options.tag}: \${iommuGroups(kernel).length} groups\`);
      kernel.printk(KERN_INFO, \`grp: @sim/iommu-group from \${import.meta.resolve('@sim/iommu-group')}\`);
      kernel.printk(KERN_INFO, \`grp: @sim/core from \${import.meta.resolve('@sim/core')}\`);
      kernel.registerDriver({
        name: 'grp-drv',
        bus: 'platform',
        probe: () => (explainGroup(kernel, 3).viable ? 0 : -16),
      });
      return () => kernel.unregisterDriver('grp-drv', 'platform');
    },
  };
}
`;

const SCENARIO = `plugins:
  - iommu-group
  - vfio
  - { name: grp, options: { tag: t1 } }
topology:
  devices:
    - { bus: pci, address: "0000:00:1f.6", vendor: 0x8086, device: 0x15b8, iommuGroup: 3 }
    - { bus: platform, name: grp-drv }
steps:
  - run: echo vfio-pci > /sys/bus/pci/devices/0000:00:1f.6/driver_override
    expect: 9
  - run: echo 0000:00:1f.6 > /sys/bus/pci/drivers_probe
    expect: 13
  - run: open /dev/vfio/3
    expect: ok
expect:
  oops: none
  drivers: { "0000:00:1f.6": vfio-pci, grp-drv: grp-drv }
  dmesg:
    - "grp t1: 0 groups"
`;

/** Where the app's own copy of a package is (its main file, symlinks resolved as Node resolves them). */
function appCopy(pkg: string): string {
  return pathToFileURL(join(realpathSync(join(APP, 'node_modules', pkg)), 'dist', 'index.js')).href;
}

/** A plugin project: the module and the scenario in `name/`, optionally with node_modules of its own. */
function project(name: string): { mod: string; scenario: string; cwd: string } {
  const cwd = join(dir, name);
  mkdirSync(cwd, { recursive: true });
  writeFileSync(join(cwd, 'grp.mjs'), GRP);
  writeFileSync(join(cwd, 'grp.yaml'), SCENARIO);
  return { mod: './grp.mjs', scenario: 'grp.yaml', cwd };
}

function resolvedIn(stdout: string, pkg: string): string {
  const run = JSON.parse(stdout) as { dmesg: string[] };
  const line = run.dmesg.find((l) => l.includes(`grp: ${pkg} from `));
  expect(line, `the plugin's line for ${pkg}`).toBeDefined();
  return line!.slice(line!.indexOf(' from ') + ' from '.length);
}

describe('a plugin module outside this repository, run by the built sim', () => {
  it('with no node_modules beside it: its @sim imports are the app copies, and vfio works with its groups', () => {
    const p = project('bare');
    const r = sim(['run', p.scenario, '--plugin', p.mod, '--format', 'json'], { cwd: p.cwd });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(resolvedIn(r.stdout, '@sim/iommu-group')).toBe(appCopy('@sim/iommu-group'));
    expect(resolvedIn(r.stdout, '@sim/core')).toBe(appCopy('@sim/core'));
  });

  it('with a copy of @sim/iommu-group in its own node_modules: still the app copy, one copy in the process', () => {
    const p = project('own-copy');
    const copy = join(p.cwd, 'node_modules', '@sim', 'iommu-group');
    const original = realpathSync(join(APP, 'node_modules', '@sim', 'iommu-group'));
    mkdirSync(copy, { recursive: true });
    cpSync(join(original, 'dist'), join(copy, 'dist'), { recursive: true });
    writeFileSync(join(copy, 'package.json'), readFileSync(join(original, 'package.json')));
    const r = sim(['run', p.scenario, '--plugin', p.mod, '--format', 'json'], { cwd: p.cwd });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(resolvedIn(r.stdout, '@sim/iommu-group')).toBe(appCopy('@sim/iommu-group'));
  });
});

describe('a factory with required options (export const pluginName)', () => {
  it('is never called with {}: it loads, lists, and gets the scenario options', async () => {
    const p = project('required');
    const r = sim(['run', p.scenario, '--plugin', p.mod], { cwd: p.cwd });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('plugins: iommu-group, vfio, grp');
    const list = sim(['list', '--plugin', p.mod], { cwd: p.cwd });
    expect(list.status).toBe(0);
    expect(list.stdout).toContain('grp');
  });

  it('a scenario that leaves out the required option gets the factory message at plugins:', async () => {
    const p = project('missing');
    const sc = join(p.cwd, 'missing.yaml');
    writeFileSync(sc, 'plugins: [iommu-group, grp]\nsteps: [ls /sys]\n');
    const r = await simInProcess(['run', sc, '--plugin', join(p.cwd, 'grp.mjs')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('grp: options.tag (a string) is required');
  });

  it('a pluginName that is not a name is refused by path', async () => {
    const mod = join(dir, 'badname.mjs');
    writeFileSync(mod, 'export const pluginName = 42;\nexport default () => ({ name: "x", setup() {} });\n');
    const r = await simInProcess(['run', 'bind-veto', '--plugin', mod]);
    expect(r).toEqual({
      status: 2,
      stdout: '',
      stderr: `sim run: --plugin '${mod}': its pluginName export is 42; expected the plugin's name, a string such as 'my-plugin'\n`,
    });
  });

  it('a factory that refuses {} and exports no pluginName is told to export one', async () => {
    const mod = join(dir, 'noname.mjs');
    writeFileSync(
      mod,
      'export default (o) => { if (!o.x) throw new Error("x is required"); return { name: "n", setup() {} }; };\n',
    );
    const r = await simInProcess(['run', 'bind-veto', '--plugin', mod]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("x is required; a factory that requires options exports its plugin's name beside it");
  });
});

describe('the example plugin package (examples/outside-plugin)', () => {
  it('runs with the built sim from the repository, where it has no node_modules', () => {
    const example = `${APP}../../examples/outside-plugin/`;
    const r = sim(['run', `${example}watch.yaml`, '--plugin', `${example}index.js`]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('plugins: iommu-group, group-watch');
    expect(r.stdout).toMatch(/expectations: \d+ passed, 0 failed/);
  });
});

describe('docs/adding-a-plugin.md', () => {
  const guide = readFileSync(`${APP}../../docs/adding-a-plugin.md`, 'utf8');
  const example = (f: string) => readFileSync(`${APP}../../examples/outside-plugin/${f}`, 'utf8');

  it("shows the example package's test verbatim (the end-to-end test runs it against the published packages)", () => {
    const test = [...guide.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]!).find((b) => b.includes("it('"));
    expect(test).toBeDefined();
    const body = test!.slice(test!.indexOf("it('"));
    expect(example('test/group-watch.test.js')).toContain(body);
  });

  it("shows the example package's peer dependencies and its scenario's plugins", () => {
    const pkg = JSON.parse(example('package.json')) as { peerDependencies: Record<string, string> };
    expect(guide).toContain(
      `"peerDependencies": ${JSON.stringify(pkg.peerDependencies).replaceAll(',', ', ').replaceAll('{', '{ ').replaceAll('}', ' }').replaceAll('":"', '": "')}`,
    );
    expect(example('watch.yaml')).toContain('  - iommu-group\n  - { name: group-watch, options: { group: 1 } }\n');
  });
});
