import { describe, expect, it } from 'vitest';
import { type CommandSpec, parseCommandArgs } from './command.ts';

const cmd: CommandSpec = {
  name: 'demo',
  args: '<x>',
  maxArgs: 3,
  summary: '',
  description: '',
  options: {
    profile: { type: 'string', value: 'P', help: '' },
    inject: { type: 'string', multiple: true, help: '' },
    verbose: { type: 'boolean', short: 'v', help: '' },
  },
  formats: ['text', 'json'],
  run: () => 0,
};

describe('parseCommandArgs', () => {
  it('reads long, short, attached and repeated options, and positionals anywhere', () => {
    expect(
      parseCommandArgs(cmd, ['a', '--profile=v4.12', '-v', 'b', '--inject', 'x', '--inject=y', '-fjson', '-']),
    ).toEqual({
      ok: true,
      options: { profile: 'v4.12', verbose: true, inject: ['x', 'y'], format: 'json' },
      positionals: ['a', 'b', '-'],
    });
  });

  it('takes everything after -- as positionals', () => {
    expect(parseCommandArgs(cmd, ['--', '--profile', '-v'])).toEqual({
      ok: true,
      options: {},
      positionals: ['--profile', '-v'],
    });
  });

  it('an empty value is a value', () => {
    expect(parseCommandArgs(cmd, ['--profile='])).toMatchObject({ ok: true, options: { profile: '' } });
  });

  it("refuses names of Object.prototype's members and __proto__", () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      const r = parseCommandArgs(cmd, [`--${name}`, 'x']);
      expect(r.ok).toBe(false);
      expect(r.ok ? '' : r.message).toMatch(new RegExp(`^unknown option '--${name}'`));
    }
  });

  it('suggests the near option', () => {
    const r = parseCommandArgs(cmd, ['--verbos']);
    expect(r.ok ? '' : r.message).toMatch(/^unknown option '--verbos' \(did you mean --verbose\?\); sim demo takes /);
  });
});
