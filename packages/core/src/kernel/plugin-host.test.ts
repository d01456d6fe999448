import { describe, expect, it } from 'vitest';
import { SimError } from '../errors/sim-error.ts';
import type { Plugin } from './kernel.ts';
import { PluginHost, type PluginHostKernel } from './plugin-host.ts';
import { CORE_FLAGS, CORE_PROFILES, resolveProfile } from './profile.ts';
import { kernelVersion } from './versions.ts';

/** The plugin host over a kernel that is only what the host reads: a version, a profile, liveness. */
function hostOn(base: '4.12' | '6.12' = '4.12') {
  const kernel = {
    version: kernelVersion(base),
    profile: resolveProfile(base === '4.12' ? 'v4.12' : 'v6.12', CORE_PROFILES, CORE_FLAGS),
    unusable: false,
  };
  const host = new PluginHost(kernel as unknown as PluginHostKernel);
  return { host, kernel };
}

/** A plugin whose setup journals one undo per name, logging it when run, then maybe throws. */
function journaling(host: PluginHost, name: string, undos: string[], log: string[], fail = false): Plugin {
  return {
    name,
    setup() {
      for (const u of undos) host.journalUndo(() => log.push(u));
      if (fail) throw new Error(`${name} failed`);
      return () => log.push(`teardown ${name}`);
    },
  };
}

describe('PluginHost', () => {
  it('undoes a failed setup last change first, and the plugin is not in use', () => {
    const { host } = hostOn();
    const log: string[] = [];
    expect(() => host.use(journaling(host, 'p', ['a', 'b', 'c'], log, true))).toThrow('p failed');
    expect(log).toEqual(['c', 'b', 'a']);
    expect(host.names()).toEqual([]);
    expect(host.journaling).toBe(false);
  });

  it('journals nothing outside a setup', () => {
    const { host } = hostOn();
    const log: string[] = [];
    host.journalUndo(() => log.push('never'));
    host.use(journaling(host, 'ok', [], log));
    expect(log).toEqual([]);
  });

  it("a setup that used another plugin hands that plugin's journal up: the outer failure undoes both", () => {
    const { host } = hostOn();
    const log: string[] = [];
    const inner = journaling(host, 'inner', ['inner 1', 'inner 2'], log);
    const outer: Plugin = {
      name: 'outer',
      setup() {
        host.journalUndo(() => log.push('outer 1'));
        host.use(inner);
        host.journalUndo(() => log.push('outer 2'));
        throw new Error('outer failed');
      },
    };
    expect(() => host.use(outer)).toThrow('outer failed');
    expect(log).toEqual(['outer 2', 'inner 2', 'inner 1', 'outer 1']);
    expect(host.names()).toEqual([]);
  });

  it('goes on undoing past an undo that throws, and stops once the kernel died', () => {
    const { host, kernel } = hostOn();
    const log: string[] = [];
    const p: Plugin = {
      name: 'p',
      setup() {
        host.journalUndo(() => log.push('first'));
        host.journalUndo(() => {
          kernel.unusable = true;
        });
        host.journalUndo(() => {
          throw new Error('undo failed');
        });
        host.journalUndo(() => log.push('last'));
        throw new Error('setup failed');
      },
    };
    expect(() => host.use(p)).toThrow('setup failed');
    expect(log).toEqual(['last']);
  });

  it('unlearns the flags and profiles of a plugin whose setup failed', () => {
    const { host } = hostOn();
    const flags = host.flagDefs.length;
    const p: Plugin = {
      name: 'flagged',
      flags: [{ name: 'my-flag', description: 'd', where: 'w' }],
      profiles: [{ name: 'my-profile', description: 'd', flags: ['my-flag'] }],
      setup() {
        throw new Error('no');
      },
    };
    expect(() => host.use(p)).toThrow('no');
    expect(host.flagDefs.length).toBe(flags);
    expect(host.profileDefs.some((q) => q.name === 'my-profile')).toBe(false);
  });

  it('tears down last plugin first and returns the first failure without stopping', () => {
    const { host } = hostOn();
    const log: string[] = [];
    host.use(journaling(host, 'a', [], log));
    host.use({
      name: 'b',
      setup: () => () => {
        log.push('teardown b');
        throw new Error('b broke');
      },
    });
    host.use(journaling(host, 'c', [], log));
    const failure = host.teardown();
    expect(log).toEqual(['teardown c', 'teardown b', 'teardown a']);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toBe('b broke');
  });

  it('refuses the same plugin twice, a missing dependency and an unsupported base, with their codes', () => {
    const { host } = hostOn('6.12');
    const code = (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        return SimError.isInstance(e) ? e.code : String(e);
      }
      return null;
    };
    host.use({ name: 'x', setup: () => undefined });
    expect(code(() => host.use({ name: 'x', setup: () => undefined }))).toBe('SIM_ERR_PLUGIN_DUPLICATE');
    expect(code(() => host.use({ name: 'y', dependencies: ['z'], setup: () => undefined }))).toBe(
      'SIM_ERR_PLUGIN_DEPENDENCY',
    );
    expect(code(() => host.use({ name: 'old', unsupported: { '6.12': 'gone' }, setup: () => undefined }))).toBe(
      'SIM_ERR_PLUGIN_UNSUPPORTED_KERNEL',
    );
    expect(host.names()).toEqual(['x']);
  });
});
