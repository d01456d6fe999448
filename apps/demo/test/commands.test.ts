import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { allOptions } from '../src/commands/command.ts';
import { COMMANDS } from '../src/commands/table.ts';
import { APP, ensureBuilt, sim, simInProcess } from './helpers.ts';

const VERSION = (JSON.parse(readFileSync(`${APP}package.json`, 'utf8')) as { version: string }).version;

describe('sim --version and sim help', () => {
  beforeAll(() => ensureBuilt());

  it('--version prints the package version and nothing else', () => {
    const r = sim(['--version']);
    expect(r).toEqual({ status: 0, stdout: `sim ${VERSION}\n`, stderr: '' });
  });

  it('sim help lists every command of the table; sim alone prints it on stderr and exits 2', async () => {
    const help = await simInProcess(['help']);
    expect(help.status).toBe(0);
    for (const c of COMMANDS) expect(help.stdout).toMatch(new RegExp(`^  ${c.name}\\b`, 'm'));
    expect(await simInProcess(['--help'])).toEqual(help);
    const none = await simInProcess([]);
    expect(none).toEqual({ status: 2, stdout: '', stderr: help.stdout });
  });

  it('sim help CMD and sim CMD --help print the same help, naming every option the command takes', async () => {
    for (const c of COMMANDS) {
      const a = await simInProcess(['help', c.name]);
      const b = await simInProcess([c.name, '--help']);
      expect(a.status).toBe(0);
      expect(b).toEqual(a);
      expect(a.stdout.startsWith(`usage: sim ${c.name}`)).toBe(true);
      for (const o of Object.keys(allOptions(c))) expect(a.stdout).toContain(`--${o}`);
      for (const f of c.formats ?? []) expect(a.stdout).toContain(f);
      expect(a.stdout.split('\n').filter((l) => l.length > 80)).toEqual([]);
    }
    expect((await simInProcess(['run', 'seed', '-h'])).stdout).toBe((await simInProcess(['help', 'run'])).stdout);
  });

  it('sim help of an unknown command exits 2 listing the commands', async () => {
    const r = await simInProcess(['help', 'frob']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      "sim help: unknown command 'frob'; commands: run, compare, list, audit, explain, explore, schema, shell, export, import, mount, exec, help\n",
    );
  });
});

describe('options a command does not take exit 2, naming them', () => {
  it('sim run seed --profiles v4.12: the option of compare, with the likely one', async () => {
    const r = await simInProcess(['run', 'seed', '--profiles', 'v4.12']);
    expect(r).toEqual({
      status: 2,
      stdout: '',
      stderr:
        "sim run: unknown option '--profiles' (did you mean --profile?); sim run takes --profile, --verbose, --inject, --plugin, --format, --help, --color, --no-color (sim help run)\n",
    });
  });

  it('sim list --profile x', async () => {
    const r = await simInProcess(['list', '--profile', 'x']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^sim list: unknown option '--profile'; sim list takes --plugin, --format/);
  });

  it('as a process too, with nothing on stdout', () => {
    ensureBuilt();
    const r = sim(['list', '--group', '1']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("sim list: unknown option '--group'");
  });

  it('an unknown short option, a missing value, a value for a flag, a single option twice', async () => {
    expect((await simInProcess(['run', 'seed', '-x'])).stderr).toMatch(/^sim run: unknown option '-x'; /);
    expect(await simInProcess(['run', 'seed', '--profile'])).toMatchObject({
      status: 2,
      stderr: 'sim run: --profile needs a value: --profile P\n',
    });
    expect((await simInProcess(['run', 'seed', '--profile', '--verbose'])).stderr).toBe(
      'sim run: --profile needs a value: --profile P\n',
    );
    expect((await simInProcess(['run', 'seed', '--verbose=yes'])).stderr).toBe(
      'sim run: --verbose takes no value; write --verbose alone\n',
    );
    expect((await simInProcess(['run', 'seed', '--profile', 'v4.12', '--profile=rfc-2017'])).stderr).toBe(
      'sim run: --profile is given twice; give it once\n',
    );
  });

  it('options before the command: only the common ones', async () => {
    expect((await simInProcess(['--no-color', 'list'])).status).toBe(0);
    const r = await simInProcess(['--profile', 'v4.12', 'run', 'seed']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^sim: unknown option '--profile' before the command; /);
  });

  it('too many arguments, and an argument to a command that takes none', async () => {
    expect((await simInProcess(['run', 'seed', 'bind-veto'])).stderr).toBe(
      'sim run: takes at most one argument (<scenario>), got 2: seed bind-veto\n',
    );
    expect((await simInProcess(['schema', 'x'])).stderr).toBe("sim schema: takes no arguments, got 'x'\n");
  });

  it('a format the command does not honour', async () => {
    expect((await simInProcess(['list', '--format', 'ktap'])).stderr).toBe(
      "sim list: unknown format 'ktap'; formats: text, json\n",
    );
  });

  it('--inject where there is no scenario to inject into', async () => {
    expect((await simInProcess(['audit', '--inject', 'pci:4=NOTIFY_BAD'])).stderr).toBe(
      'sim audit: --inject needs a scenario to inject into: sim audit <scenario> --inject SPEC\n',
    );
  });

  it('-- ends the options; grouped and attached short options work', async () => {
    const r = await simInProcess(['run', '-fjson', '--', 'bind-veto']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).scenario).toBe('bind-veto');
    expect((await simInProcess(['run', 'bind-veto', '-vf', 'text'])).stdout).toContain('sim run bind-veto');
  });
});
