import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { APP, ensureBuilt, sim, simInProcess } from './helpers.ts';

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sim-plugins-'));
});

/** Writes a file in the temp dir; returns its path. */
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const KNOWN = "'iommu-group', 'vfio', 'keystone', 'i2cdev', 'tce-iommu'";

describe('the plugin module example', () => {
  const readme = readFileSync(`${APP}README.md`, 'utf8');

  it('is in the README verbatim, module and scenario', () => {
    expect(readme).toContain(`\`\`\`js\n${readFileSync(`${APP}examples/netdev-plugin.mjs`, 'utf8')}\`\`\``);
    expect(readme).toContain(`\`\`\`yaml\n${readFileSync(`${APP}examples/netdev.yaml`, 'utf8')}\`\`\``);
  });

  it('runs as the README says, in-process and as a process', async () => {
    const args = ['run', 'examples/netdev.yaml', '--plugin', 'examples/netdev-plugin.mjs'];
    const r = await simInProcess(args);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('flags: none; plugins: netdev');
    expect(r.stdout).toContain('notifier-error-inject -> notifier_from_errno(-EBUSY)');
    ensureBuilt();
    const p = sim(args);
    expect(p.status).toBe(0);
    expect(p.stdout).toContain('expectations: 7 passed, 0 failed');
  });

  it('without --plugin the scenario names an unknown plugin: exit 2, the known ones listed', async () => {
    const r = await simInProcess(['run', 'examples/netdev.yaml']);
    expect(r).toEqual({
      status: 2,
      stdout: '',
      stderr: `examples/netdev.yaml:7:13: plugins[0].name: 'netdev' is not a known name; expected { name: iommu-group, options }; or { name: vfio, options }; or { name: keystone, options }; or { name: i2cdev, options }; or { name: tce-iommu, options }; or { name: acpi-lpss, options }\nsim: 1 problem; nothing was run\n`,
    });
  });

  it('shows in sim list and sim schema when loaded', async () => {
    const args = ['--plugin', 'examples/netdev-plugin.mjs'];
    expect((await simInProcess(['list', ...args])).stdout).toContain(
      '  netdev       examples/netdev-plugin.mjs: a plugin module',
    );
    const schema = JSON.parse((await simInProcess(['schema', ...args])).stdout);
    expect(JSON.stringify(schema.properties.plugins)).toContain('"netdev"');
  });
});

describe('plugin modules', () => {
  it('a plugin object works too; what it registers at setup (a driver, a /dev node) may be named by steps', async () => {
    const mod = file(
      'node.mjs',
      `export default {
  name: 'demo-node',
  setup(kernel) {
    kernel.dev.register('demo', { ioctl: (file, cmd) => (cmd === 'DEMO_PING' ? 7 : -25) });
    kernel.registerDriver({ name: 'demo-drv', bus: 'platform' });
    return () => { kernel.unregisterDriver('demo-drv', 'platform'); kernel.dev.unregister('demo'); };
  },
};
`,
    );
    const sc = file(
      'node.yaml',
      'plugins: [demo-node]\ntopology:\n  devices: [{ bus: platform, name: demo-drv }]\nsteps:\n  - run: readlink /sys/bus/platform/devices/demo-drv/driver\n    expect: { output: ../../../bus/platform/drivers/demo-drv }\n  - run: open /dev/demo\n    expect: ok\n  - run: ioctl /dev/demo DEMO_PING\n    expect: 7\n',
    );
    const r = await simInProcess(['run', sc, '--plugin', mod]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const opts = file('node-opts.yaml', 'plugins: [{ name: demo-node, options: { x: 1 } }]\nsteps: [ls /sys]\n');
    expect((await simInProcess(['run', opts, '--plugin', mod])).stderr).toBe(
      `${opts}:1:39: plugins[0].options: plugin 'demo-node' refuses its options: SIM_ERR_PLUGIN_BAD_OPTION: plugin 'demo-node' (${mod}) takes no options: its module exports a plugin object; export a factory (options) => plugin to take options; expected options that ${mod} accepts\nsim: 1 problem; nothing was run\n`,
    );
  });

  it.each([
    [
      'a missing file',
      null,
      /^sim run: --plugin '(.*)': the module does not load: Cannot find module '.*no-such\.mjs'/,
    ],
    // Under vitest the import goes through vite, whose words differ from Node's (the process test below has Node's).
    ['a syntax error', 'export default {', /^sim run: --plugin '.*': the module does not load: \S.*\n$/],
    [
      'a default export that is no plugin',
      'export default 42;',
      /^sim run: --plugin '.*': its default export is 42, not a sim plugin; expected a default export that is a plugin factory/,
    ],
    [
      'a factory returning no plugin',
      'export default () => ({ name: "x" });',
      /^sim run: --plugin '.*': its factory returns \{"name":"x"\}, not a sim plugin; expected/,
    ],
    [
      'a factory that refuses {}',
      'export default (o) => { if (!o.must) throw new Error("must is required"); };',
      /^sim run: --plugin '.*': its factory refuses the default options \(\{\}\): must is required; a factory that requires options exports its plugin's name beside it \(export const pluginName = '…'\) and is then called only with the scenario's options\n$/,
    ],
    [
      'a name of a built-in plugin',
      'export default { name: "vfio", setup() {} };',
      /^sim run: --plugin '.*': its plugin is named 'vfio', as a built-in plugin; give it a name of its own\n$/,
    ],
  ])('%s: exit 2 with the path and the error', async (_what, text, message) => {
    const path =
      text === null ? join(dir, 'no-such.mjs') : file(`bad-${Math.random().toString(36).slice(2)}.mjs`, text);
    const r = await simInProcess(['run', 'bind-veto', '--plugin', path]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain(path);
  });

  it("as a process, Node's error for a module that does not parse", () => {
    ensureBuilt();
    const path = file('unparsable.mjs', 'export default {');
    expect(sim(['run', 'bind-veto', '--plugin', path])).toEqual({
      status: 2,
      stdout: '',
      stderr: `sim run: --plugin '${path}': the module does not load: Unexpected end of input\n`,
    });
  });

  it('two modules with one plugin name are refused', async () => {
    const a = file('a.mjs', 'export default { name: "twin", setup() {} };');
    const b = file('b.mjs', 'export default { name: "twin", setup() {} };');
    expect((await simInProcess(['run', 'bind-veto', '--plugin', a, '--plugin', b])).stderr).toBe(
      `sim run: --plugin '${b}': its plugin is named 'twin', as the plugin of ${a}; give it a name of its own\n`,
    );
  });

  it('what its factory or setup throws is reported at plugins:, before anything runs', async () => {
    const mod = file(
      'throws.mjs',
      `export default (options = {}) => {
  if (options.bad) throw new TypeError('bad option');
  return { name: 'thrower', setup() { if (options.boom) throw new Error('boom'); } };
};
`,
    );
    const bad = file('thrower-bad.yaml', 'plugins: [{ name: thrower, options: { bad: 1 } }]\nsteps: [ls /sys]\n');
    expect((await simInProcess(['run', bad, '--plugin', mod])).stderr).toBe(
      `${bad}:1:37: plugins[0].options: plugin 'thrower' refuses its options: SIM_ERR_PLUGIN_BAD_OPTION: plugin 'thrower' (${mod}): its factory threw: bad option; expected options that ${mod} accepts\nsim: 1 problem; nothing was run\n`,
    );
    const boom = file('thrower-boom.yaml', 'plugins: [{ name: thrower, options: { boom: 1 } }]\nsteps: [ls /sys]\n');
    expect((await simInProcess(['run', boom, '--plugin', mod])).stderr).toBe(
      `${boom}:1:10: plugins: the plugins do not start: SIM_ERR_PLUGIN_BAD: plugin 'thrower' (${mod}): its setup threw: boom; expected what the package accepts (see the message)\nsim: 1 problem; nothing was run\n`,
    );
  });

  it('what its callbacks throw during the run is an oops, for a notify step too', async () => {
    const mod = file(
      'buggy.mjs',
      `export default { name: 'buggy', setup(kernel) { kernel.bus('platform').registerNotifier({ name: 'buggy_nb', notifierCall() { throw new Error('oh no'); } }); } };\n`,
    );
    const sc = file(
      'buggy.yaml',
      'plugins: [buggy]\nsteps:\n  - run: notify platform BUS_NOTIFY_ADD_DEVICE NULL\n    expect: oops\n  - run: ls /sys\n    expect: skipped\nexpect: { oops: "BUG: unhandled exception in sim notify: oh no" }\n',
    );
    const r = await simInProcess(['run', sc, '--plugin', mod]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('a factory or setup that throws a value with no string form is reported, not a crash', async () => {
    const mod = file(
      'throws-nullproto.mjs',
      `export default (options = {}) => {
  if (options.bad) throw Object.create(null);
  return { name: 'np', setup() { if (options.boom) throw Symbol('boom'); } };
};
`,
    );
    const bad = file('np-bad.yaml', 'plugins: [{ name: np, options: { bad: 1 } }]\nsteps: [ls /sys]\n');
    expect((await simInProcess(['run', bad, '--plugin', mod])).stderr).toContain('its factory threw: {}');
    const boom = file('np-boom.yaml', 'plugins: [{ name: np, options: { boom: 1 } }]\nsteps: [ls /sys]\n');
    expect((await simInProcess(['run', boom, '--plugin', mod])).stderr).toContain('its setup threw: Symbol(boom)');
  });

  it('a callback that throws a value with no string form is an oops too, for a notify step', async () => {
    const mod = file(
      'nullproto.mjs',
      `export default { name: 'nullproto', setup(kernel) { kernel.bus('platform').registerNotifier({ name: 'np_nb', notifierCall() { throw Object.create(null); } }); } };\n`,
    );
    const sc = file(
      'nullproto.yaml',
      'plugins: [nullproto]\nsteps:\n  - run: notify platform BUS_NOTIFY_ADD_DEVICE NULL\n    expect: oops\nexpect: { oops: "BUG: unhandled exception in sim notify: {}" }\n',
    );
    const r = await simInProcess(['run', sc, '--plugin', mod]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('a scenario file cannot load a module: a path in plugins: is an unknown plugin, and nothing is imported', async () => {
    const marker = join(dir, 'imported');
    const evil = file(
      'evil.mjs',
      `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\nexport default { name: 'evil', setup() {} };\n`,
    );
    const sc = file('names-a-module.yaml', `plugins: [${JSON.stringify(evil)}]\nsteps: [ls /sys]\n`);
    const r = await simInProcess(['run', sc]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      `plugins[0]: ${JSON.stringify(evil).replace(/"/g, "'")} is not allowed here; expected one of ${KNOWN}`,
    );
    expect(existsSync(marker)).toBe(false);
  });
});
