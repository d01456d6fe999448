import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Install it like a user: a throwaway Verdaccio on 127.0.0.1 (ephemeral port, storage in a temp dir, no uplinks),
// every public package published to it with the project's own release command (`pnpm release`), then new npm
// projects outside the workspace install from that registry only and run the READMEs' code, as plain ESM and as
// TypeScript; the example plugin package of examples/outside-plugin is published too, installed beside @sim/demo
// and run with the published `sim --plugin`. The registry is stopped in afterAll, whatever happened.

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const PUBLIC = [
  '@sim/acpi-lpss',
  '@sim/core',
  '@sim/demo',
  '@sim/fuse',
  '@sim/i2cdev',
  '@sim/iommu-group',
  '@sim/keystone',
  '@sim/tce-iommu',
  '@sim/vfio',
];

let tmp = '';
let registry: ChildProcess | null = null;
let url = '';
/** The environment of a user of the registry: a fresh HOME and npm cache, the registry and nothing else. */
let userEnv: Record<string, string> = {};

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: readonly string[], cwd: string, env: Record<string, string>, timeout = 300_000): Ran {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout });
  return {
    status: r.status,
    stdout: r.stdout ?? '',
    stderr: `${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`,
  };
}

/** Asserts a command succeeded, showing its output when it did not. */
function ok(r: Ran, what: string): Ran {
  expect(r.status, `${what}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`).toBe(0);
  return r;
}

/** The directory of a pnpm binary: the one on PATH (pnpm test), or the pinned one through npx. */
function pnpmDir(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (existsSync(join(dir, 'pnpm'))) return dir;
  const r = ok(
    run('npx', ['-y', 'pnpm@10.34.9', 'exec', 'which', 'pnpm'], repo, process.env as Record<string, string>),
    'npx pnpm',
  );
  return dirname(r.stdout.trim());
}

/** Starts the registry; resolves with its port once it listens. */
function startRegistry(dir: string): Promise<number> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../src/registry.cjs', import.meta.url)), dir], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  registry = child;
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`the registry did not start in 60 s: ${out}${err}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"port"'));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the registry exited (${code}): ${out}${err}`));
    });
  });
}

/** A new npm project outside the workspace. */
function project(name: string, manifest: Record<string, unknown> = { type: 'module' }): string {
  const dir = join(tmp, 'projects', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, ...manifest }));
  return dir;
}

const npm = (dir: string, args: readonly string[]) => run('npm', args, dir, userEnv);

/** The ```ts blocks of a package README. */
function readmeBlocks(pkgDir: string): string[] {
  const text = readFileSync(join(repo, pkgDir, 'README.md'), 'utf8');
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/** Imports of a block (package names), to keep only the blocks a project can run. */
const importsOf = (code: string) =>
  [...code.matchAll(/from '([^']+)'/g)].map((m) => m[1]!).filter((s) => !s.startsWith('node:'));

/**
 * Runs the READMEs' blocks in a project: the first block of each README (its quick start) as plain ESM (.mjs), and
 * every block whose imports are installed as TypeScript, `tsc --strict` with module nodenext and with
 * moduleResolution bundler, each compiled output run with node.
 */
function runReadmes(dir: string, pkgDirs: readonly string[], installed: readonly string[]): void {
  const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
  const files: string[] = [];
  for (const pkgDir of pkgDirs) {
    const blocks = readmeBlocks(pkgDir);
    expect(blocks.length, `${pkgDir}/README.md has a quick start`).toBeGreaterThan(0);
    const name = pkgDir.split('/').at(-1)!;
    writeFileSync(join(dir, `${name}-quickstart.mjs`), blocks[0]!);
    ok(run(process.execPath, [`${name}-quickstart.mjs`], dir, userEnv), `${pkgDir} quick start as plain ESM`);
    blocks.forEach((code, i) => {
      if (!importsOf(code).every((p) => installed.includes(p))) return;
      mkdirSync(join(dir, 'src'), { recursive: true });
      writeFileSync(join(dir, 'src', `${name}-${i}.ts`), code);
      files.push(`${name}-${i}`);
    });
  }
  const typeRoots = [join(repo, 'node_modules', '@types')];
  const configs = {
    nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
    bundler: { module: 'esnext', moduleResolution: 'bundler' },
  };
  for (const [kind, options] of Object.entries(configs)) {
    writeFileSync(
      join(dir, `tsconfig.${kind}.json`),
      JSON.stringify({
        compilerOptions: {
          ...options,
          target: 'es2022',
          strict: true,
          outDir: `out-${kind}`,
          typeRoots,
          types: ['node'],
        },
        include: ['src'],
      }),
    );
    ok(run(process.execPath, [tsc, '-p', `tsconfig.${kind}.json`], dir, userEnv), `tsc --strict (${kind})`);
    for (const f of files) {
      ok(run(process.execPath, [join(`out-${kind}`, `${f}.js`)], dir, userEnv), `${f}.ts compiled (${kind}), run`);
    }
  }
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'sim-registry-e2e-'));
  const port = await startRegistry(join(tmp, 'registry'));
  url = `http://127.0.0.1:${port}/`;
  // A publisher's account on the throwaway registry (its htpasswd is in the temp dir).
  const res = await fetch(`${url}-/user/org.couchdb.user:e2e`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'e2e', password: 'e2e-password-not-a-secret' }),
  });
  expect(res.status).toBe(201);
  const { token } = (await res.json()) as { token: string };
  const publisherRc = join(tmp, 'publisher.npmrc');
  writeFileSync(publisherRc, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
  const userRc = join(tmp, 'user.npmrc');
  writeFileSync(userRc, `registry=${url}\n`);
  mkdirSync(join(tmp, 'home'));
  userEnv = {
    PATH: process.env.PATH ?? '',
    HOME: join(tmp, 'home'),
    NPM_CONFIG_USERCONFIG: userRc,
    NPM_CONFIG_REGISTRY: url,
    NPM_CONFIG_CACHE: join(tmp, 'npm-cache'),
    NPM_CONFIG_AUDIT: 'false',
    NPM_CONFIG_FUND: 'false',
    NPM_CONFIG_UPDATE_NOTIFIER: 'false',
  };
  const publisherEnv = {
    ...(process.env as Record<string, string>),
    PATH: `${pnpmDir()}${delimiter}${process.env.PATH ?? ''}`,
    NPM_CONFIG_USERCONFIG: publisherRc,
    NPM_CONFIG_REGISTRY: url,
    TURBO_TELEMETRY_DISABLED: '1',
  };
  // The project's own release command; --no-git-tag so that the test leaves the repository's tags alone.
  const released = ok(run('pnpm', ['release', '--no-git-tag'], repo, publisherEnv, 840_000), 'pnpm release');
  expect(released.stdout + released.stderr).toContain('packages published successfully');
  // The example plugin package, published by its author (a copy: npm publish leaves nothing behind, but the copy
  // keeps the repository's tree untouched whatever happens).
  const plugin = join(tmp, 'outside-plugin');
  cpSync(join(repo, 'examples', 'outside-plugin'), plugin, {
    recursive: true,
    filter: (s) => !s.includes('node_modules'),
  });
  ok(
    run('npm', ['publish'], plugin, { ...userEnv, NPM_CONFIG_USERCONFIG: publisherRc }),
    'npm publish the example plugin',
  );
}, 900_000);

afterAll(async () => {
  const child = registry;
  if (child !== null && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

describe('published to a local registry', () => {
  it('every public package is there, with its LICENSE and without workspace: ranges', async () => {
    for (const name of PUBLIC) {
      const res = await fetch(`${url}${name.replace('/', '%2f')}`);
      expect(res.status, name).toBe(200);
      const doc = (await res.json()) as { versions: Record<string, Record<string, unknown>> };
      const manifest = Object.values(doc.versions)[0]!;
      expect(manifest.license, name).toBe('MIT');
      expect(JSON.stringify(manifest), name).not.toContain('workspace:');
    }
  });
});

describe('npm install @sim/core @sim/vfio', () => {
  it('resolves the peer @sim/iommu-group, and the READMEs run as plain ESM and as TypeScript', () => {
    const dir = project('with-vfio');
    ok(npm(dir, ['install', '@sim/core', '@sim/vfio']), 'npm install @sim/core @sim/vfio');
    expect(readdirSync(join(dir, 'node_modules', '@sim')).sort()).toEqual(['core', 'iommu-group', 'vfio']);
    ok(npm(dir, ['ls', '--all']), 'npm ls: every peer range satisfied');
    runReadmes(dir, ['packages/core', 'packages/vfio'], ['@sim/core', '@sim/iommu-group', '@sim/vfio']);
  });

  it('without its peer (--legacy-peer-deps): npm names what is missing, and the import says which package', () => {
    const dir = project('vfio-no-peer');
    ok(npm(dir, ['install', '--legacy-peer-deps', '@sim/core', '@sim/vfio']), 'npm install --legacy-peer-deps');
    const ls = npm(dir, ['ls', '--all']);
    expect(ls.status).not.toBe(0);
    expect(`${ls.stdout}${ls.stderr}`).toMatch(/UNMET PEER DEPENDENCY @sim\/iommu-group@|missing: @sim\/iommu-group@/);
    writeFileSync(join(dir, 'use.mjs'), "import '@sim/vfio';\n");
    const r = run(process.execPath, ['use.mjs'], dir, userEnv);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("Cannot find package '@sim/iommu-group'");
  });
});

describe('npm install @sim/core @sim/keystone', () => {
  it('installs the two alone, and the READMEs run as plain ESM and as TypeScript', () => {
    const dir = project('with-keystone');
    ok(npm(dir, ['install', '@sim/core', '@sim/keystone']), 'npm install @sim/core @sim/keystone');
    expect(readdirSync(join(dir, 'node_modules', '@sim')).sort()).toEqual(['core', 'keystone']);
    runReadmes(dir, ['packages/keystone'], ['@sim/core', '@sim/keystone']);
  });
});

describe('CommonJS users see that the packages are ESM only', () => {
  it('TypeScript refuses require() at compile time, Node at run time, and import() works', () => {
    const dir = project('cjs', { type: 'commonjs' });
    ok(npm(dir, ['install', '@sim/core']), 'npm install @sim/core');
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'index.ts'), "import { createKernel } from '@sim/core';\ncreateKernel();\n");
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'nodenext', strict: true, noEmit: true }, include: ['src'] }),
    );
    const tsc = run(
      process.execPath,
      [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'],
      dir,
      userEnv,
    );
    expect(tsc.status).not.toBe(0);
    expect(tsc.stdout).toContain("'@sim/core'");
    writeFileSync(join(dir, 'req.cjs'), "require('@sim/core');\n");
    const req = run(process.execPath, ['req.cjs'], dir, userEnv);
    expect(req.status).not.toBe(0);
    expect(req.stderr).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
    writeFileSync(join(dir, 'imp.cjs'), "import('@sim/core').then((m) => console.log(typeof m.createKernel));\n");
    expect(ok(run(process.execPath, ['imp.cjs'], dir, userEnv), 'import() from CommonJS').stdout).toBe('function\n');
  });
});

describe('the sim command from the registry', () => {
  it('npx @sim/demo run seed', () => {
    const dir = project('npx');
    const r = ok(npm(dir, ['exec', '--yes', '--', '@sim/demo', 'run', 'seed']), 'npx @sim/demo run seed');
    expect(r.stdout).toContain('expectations:');
    expect(r.stdout).toContain('0 failed');
  });

  it('runs the example plugin package installed beside it, one copy of each @sim package', () => {
    const dir = project('with-plugin');
    ok(npm(dir, ['install', '@sim/demo', 'sim-plugin-group-watch']), 'npm install @sim/demo sim-plugin-group-watch');
    const copies = (name: string) =>
      readdirSync(join(dir, 'node_modules'), { recursive: true, encoding: 'utf8' }).filter((p) =>
        p.endsWith(join('@sim', name, 'package.json')),
      );
    expect(copies('iommu-group')).toHaveLength(1);
    expect(copies('core')).toHaveLength(1);
    const plugin = './node_modules/sim-plugin-group-watch';
    const r = ok(
      run(
        join(dir, 'node_modules', '.bin', 'sim'),
        ['run', `${plugin}/watch.yaml`, '--plugin', `${plugin}/index.js`],
        dir,
        userEnv,
      ),
      'sim run watch.yaml --plugin',
    );
    expect(r.stdout).toContain('plugins: iommu-group, group-watch');
    expect(r.stdout).toMatch(/expectations: \d+ passed, 0 failed/);
  });

  it("the plugin author's vitest tests pass against the published packages", () => {
    // The author's checkout: the plugin's sources and tests, its peers installed from the registry (vitest is
    // the workspace's: the throwaway registry has nothing but what the test published).
    const dir = project('plugin-dev', {
      type: 'module',
      dependencies: { '@sim/core': '>=0.0.0 <1.0.0', '@sim/iommu-group': '>=0.0.0 <1.0.0' },
    });
    for (const f of ['index.js', 'test', 'vitest.config.js']) {
      cpSync(join(repo, 'examples', 'outside-plugin', f), join(dir, f), { recursive: true });
    }
    ok(npm(dir, ['install']), 'npm install (the plugin author)');
    symlinkSync(join(repo, 'node_modules', 'vitest'), join(dir, 'node_modules', 'vitest'));
    const r = ok(
      run(process.execPath, [join(dir, 'node_modules', 'vitest', 'vitest.mjs'), 'run'], dir, {
        ...userEnv,
        CI: '1',
        NO_COLOR: '1',
      }),
      'vitest run in the plugin package',
    );
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes
    expect(r.stdout.replace(/\u001b\[[0-9;]*m/g, '')).toMatch(/Tests\s+6 passed/);
  });
});
