import {
  createKernel,
  createNotifierChain,
  type Kernel,
  type KernelOptions,
  NOTIFY_DONE,
  type Plugin,
  SimError,
} from '@sim/core';
import { describe, expect, it } from 'vitest';
import { GPU, NOUVEAU, snapshot } from './helpers.ts';

/** What a call did: returned, threw a SimError (its code), or threw something else (a bug). */
function outcome(fn: () => unknown): string {
  try {
    fn();
    return 'returned';
  } catch (e) {
    if (SimError.isInstance(e)) return e.code;
    return `threw ${e instanceof Error ? `${e.name}: ${e.message}` : typeof e}`;
  }
}

const getterThrows = new Error('a getter of the argument');

/** Arguments of every wrong kind (a getter that throws hands its own error to the caller, nothing changed). */
function bogusValues(): [string, unknown][] {
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  return [
    ['null', null],
    ['undefined', undefined],
    ['a number', 5],
    ['NaN', Number.NaN],
    ['a string', 'bogus'],
    ['an empty object', {}],
    ['an array', ['/sys/bus/pci/rescan']],
    ['a symbol', Symbol('s')],
    ['a BigInt', 1n],
    ['Object.create(null)', Object.create(null)],
    ['a revoked proxy', revoked.proxy],
    ['a function', () => 0],
    [
      'an object whose getters throw',
      new Proxy(
        {},
        {
          get() {
            throw getterThrows;
          },
        },
      ),
    ],
  ];
}

/** A live kernel with a bound device, a notifier and a chain of its own, for the entry points to be called on. */
function world() {
  const k = createKernel();
  const chain = k.createChain('blocking', 'own');
  const nb = { name: 'nb', notifierCall: () => NOTIFY_DONE };
  chain.register(nb);
  k.registerDriver({ ...NOUVEAU, probe: 'ok' });
  k.addDevice(GPU);
  return { k, chain };
}

/** An entry point, and the bogus values that are valid arguments for it (bug('bogus') is a BUG by design). */
type Entry = [string, (k: Kernel, chain: ReturnType<typeof world>['chain'], x: unknown) => unknown, string[]?];
const a = (x: unknown) => x as never;

/** Every public entry point of a kernel, each with the bogus value at one argument position. */
const ENTRY_POINTS: Entry[] = [
  ['kernel.hasFlag(x)', (k, _c, x) => k.hasFlag(a(x))],
  ['kernel.use(x)', (k, _c, x) => k.use(a(x))],
  ['kernel.bus(x)', (k, _c, x) => k.bus(a(x))],
  ['kernel.busRegister(x)', (k, _c, x) => k.busRegister(a(x))],
  ['kernel.device(x)', (k, _c, x) => k.device(a(x))],
  ["kernel.device('a', x)", (k, _c, x) => k.device('a', a(x))],
  ["kernel.driver(x, 'pci')", (k, _c, x) => k.driver(a(x), 'pci')],
  ["kernel.driver('nouveau', x)", (k, _c, x) => k.driver('nouveau', a(x))],
  ['kernel.addDevice(x)', (k, _c, x) => k.addDevice(a(x))],
  ['kernel.removeDevice(x)', (k, _c, x) => k.removeDevice(a(x))],
  ['kernel.removeDevice(name, x)', (k, _c, x) => k.removeDevice(GPU.address, a(x))],
  ['kernel.registerDriver(x)', (k, _c, x) => k.registerDriver(a(x))],
  ["kernel.unregisterDriver(x, 'pci')", (k, _c, x) => k.unregisterDriver(a(x), 'pci')],
  ["kernel.unregisterDriver('nouveau', x)", (k, _c, x) => k.unregisterDriver('nouveau', a(x))],
  ["kernel.printk(x, 'text')", (k, _c, x) => k.printk(a(x), 'text')],
  ['kernel.printk(6, x)', (k, _c, x) => k.printk(6, a(x))],
  ["kernel.devPrintk(6, x, 'text')", (k, _c, x) => k.devPrintk(6, a(x), 'text')],
  ['kernel.devPrintk(6, dev, x)', (k, _c, x) => k.devPrintk(6, k.device(GPU.address)!, a(x))],
  ['kernel.prDebug(x)', (k, _c, x) => k.prDebug(a(x))],
  ['kernel.devDbg(x, text)', (k, _c, x) => k.devDbg(a(x), 'text')],
  ["kernel.warn(x, 'text')", (k, _c, x) => k.warn(a(x), 'text')],
  ["kernel.warn('where', x)", (k, _c, x) => k.warn('where', a(x))],
  ['kernel.bug(x)', (k, _c, x) => k.bug(a(x)), ['a string']],
  ['kernel.bug(where, x)', (k, _c, x) => k.bug('where', a(x)), ['a string', 'undefined']],
  ["kernel.hang(x, 'detail')", (k, _c, x) => k.hang(a(x), 'detail'), ['a string']],
  ["kernel.hang('where', x)", (k, _c, x) => k.hang('where', a(x)), ['a string']],
  ['kernel.withFrame(x, fn)', (k, _c, x) => k.withFrame(a(x), () => 0)],
  ["kernel.withFrame('f', x)", (k, _c, x) => k.withFrame('f', a(x))],
  ["kernel.createChain(x, 'name')", (k, _c, x) => k.createChain(a(x), 'name')],
  ["kernel.createChain('raw', x)", (k, _c, x) => k.createChain('raw', a(x))],
  ["kernel.createChain('raw', 'name', x)", (k, _c, x) => k.createChain('raw', 'name', a(x))],
  ['kernel.dropChain(x)', (k, _c, x) => k.dropChain(a(x))],
  ["kernel.callChain(x, 1, null, 'c')", (k, _c, x) => k.callChain(a(x), 1, null, 'c')],
  ["kernel.callChain(chain, x, null, 'c')", (k, c, x) => k.callChain(c, a(x), null, 'c')],
  ['kernel.callChain(chain, 1, null, x)', (k, c, x) => k.callChain(c, 1, null, a(x))],
  ["kernel.traceOutcome(x, 1, 0, 'c', 'ignored', 'e')", (k, _c, x) => k.traceOutcome(a(x), 1, 0, 'c', 'ignored', 'e')],
  ["kernel.traceOutcome(chain, 1, 0, 'c', x, 'e')", (k, c, x) => k.traceOutcome(c, 1, 0, 'c', a(x), 'e')],
  ['sysfs.read(x)', (k, _c, x) => k.sysfs.read(a(x))],
  ["sysfs.write(x, '1')", (k, _c, x) => k.sysfs.write(a(x), '1')],
  ["sysfs.write('/sys/bus/pci/rescan', x)", (k, _c, x) => k.sysfs.write('/sys/bus/pci/rescan', a(x))],
  ['sysfs.readlink(x)', (k, _c, x) => k.sysfs.readlink(a(x))],
  ['sysfs.realpath(x)', (k, _c, x) => k.sysfs.realpath(a(x))],
  ['sysfs.list(x)', (k, _c, x) => k.sysfs.list(a(x))],
  ['sysfs.stat(x)', (k, _c, x) => k.sysfs.stat(a(x))],
  ['sysfs.exists(x)', (k, _c, x) => k.sysfs.exists(a(x))],
  ['sysfs.createDir(x)', (k, _c, x) => k.sysfs.createDir(a(x))],
  ['sysfs.createFile(x, file)', (k, _c, x) => k.sysfs.createFile(a(x), { mode: 0o444, show: () => '' })],
  ["sysfs.createFile('/sys/kernel/f', x)", (k, _c, x) => k.sysfs.createFile('/sys/kernel/f', a(x))],
  ["sysfs.createLink(x, '/sys/bus')", (k, _c, x) => k.sysfs.createLink(a(x), '/sys/bus')],
  ["sysfs.createLink('/sys/kernel/l', x)", (k, _c, x) => k.sysfs.createLink('/sys/kernel/l', a(x))],
  ['sysfs.remove(x)', (k, _c, x) => k.sysfs.remove(a(x))],
  ['dev.register(x, {})', (k, _c, x) => k.dev.register(a(x), {})],
  ["dev.register('n', x)", (k, _c, x) => k.dev.register('n', a(x))],
  ['dev.unregister(x)', (k, _c, x) => k.dev.unregister(a(x))],
  ['dev.exists(x)', (k, _c, x) => k.dev.exists(a(x))],
  ['dev.open(x)', (k, _c, x) => k.dev.open(a(x))],
  ["dev.ioctl(x, 'CMD')", (k, _c, x) => k.dev.ioctl(a(x), 'CMD')],
  ['dev.ioctl(3, x)', (k, _c, x) => k.dev.ioctl(3, a(x))],
  ['dev.close(x)', (k, _c, x) => k.dev.close(a(x))],
  ['dev.file(x)', (k, _c, x) => k.dev.file(a(x))],
  ['dev.anonInodeGetfd(x, {}, null)', (k, _c, x) => k.dev.anonInodeGetfd(a(x), {}, null)],
  ["dev.anonInodeGetfd('n', x, null)", (k, _c, x) => k.dev.anonInodeGetfd('n', a(x), null)],
  ['dmesg.records(x)', (k, _c, x) => k.dmesg.records(a(x))],
  ['dmesg.lines(x)', (k, _c, x) => k.dmesg.lines(a(x))],
  ['trace.subscribe(x)', (k, _c, x) => k.trace.subscribe(a(x))],
  ['inject.notifier(x)', (k, _c, x) => k.inject.notifier(a(x))],
  ['inject.notifier({ chain: x })', (k, _c, x) => k.inject.notifier({ chain: a(x), action: 1, answer: 'NOTIFY_BAD' })],
  ['inject.probe(x)', (k, _c, x) => k.inject.probe(a(x))],
  ["inject.probe({ driver: x, bus: 'pci' })", (k, _c, x) => k.inject.probe({ driver: a(x), bus: 'pci', errno: -12 })],
  ['bus.registerNotifier(x)', (k, _c, x) => k.bus('pci').registerNotifier(a(x))],
  ['bus.unregisterNotifier(x)', (k, _c, x) => k.bus('pci').unregisterNotifier(a(x))],
  ['bus.findDevice(x)', (k, _c, x) => k.bus('pci').findDevice(a(x))],
  ['bus.findDriver(x)', (k, _c, x) => k.bus('pci').findDriver(a(x))],
  ['chain.register(x)', (_k, c, x) => c.register(a(x))],
  ['chain.condRegister(x)', (_k, c, x) => c.condRegister(a(x))],
  ['chain.unregister(x)', (_k, c, x) => c.unregister(a(x))],
  ['chain.callChain(x, null)', (_k, c, x) => c.callChain(a(x), null)],
  ['chain.callChainLimited(1, null, x)', (_k, c, x) => c.callChainLimited(1, null, a(x))],
  ['chain.callChainLimited(1, null, -1, x)', (_k, c, x) => c.callChainLimited(1, null, -1, a(x))],
  ['chain.observe(x)', (_k, c, x) => c.observe(a(x))],
  ['chain.priorityOf(x)', (_k, c, x) => c.priorityOf(a(x))],
];

describe('every public entry point validates its arguments', () => {
  for (const [name, call, valid = []] of ENTRY_POINTS) {
    it(`${name}: a SimError (or the argument's own read error) and nothing changed, or a kernel answer`, () => {
      const bad: string[] = [];
      for (const [what, x] of bogusValues()) {
        if (valid.includes(what)) continue;
        const { k, chain } = world();
        const before = snapshot(k);
        const blocks = chain.blocks();
        let result: string;
        try {
          call(k, chain, x);
          result = 'returned';
        } catch (e) {
          // Reading an argument whose getters throw (or a revoked proxy) throws that error, before anything changed.
          const readError = e === getterThrows || (e instanceof TypeError && /revoked/.test(e.message));
          result = SimError.isInstance(e) ? 'SimError' : readError ? 'read error' : `threw ${String(e)}`;
        }
        if (result.startsWith('threw')) bad.push(`${what}: ${result}`);
        else if (k.oops !== null) bad.push(`${what}: killed the kernel: ${k.oops.message}`);
        else if (result !== 'returned') {
          try {
            expect(snapshot(k)).toEqual(before);
            expect(chain.blocks()).toEqual(blocks);
          } catch {
            bad.push(`${what}: ${result}, but the kernel changed`);
          }
        }
      }
      expect(bad).toEqual([]);
    });
  }

  it('createNotifierChain() checks its kind, name and options', () => {
    for (const [, x] of bogusValues()) {
      for (const call of [
        () => createNotifierChain(a(x), 'n'),
        () => createNotifierChain('raw', a(x)),
        () => createNotifierChain('raw', 'n', a(x)),
      ]) {
        const r = outcome(call);
        expect([r, r === 'returned' || r.startsWith('SIM_ERR_') || /a getter of the argument|revoked/.test(r)]).toEqual(
          [r, true],
        );
      }
    }
  });
});

describe('createKernel() options', () => {
  const bad: [string, unknown][] = [
    ['null', null],
    ['a number', 5],
    ['a string', 'v4.12'],
    ['an unknown option', { profil: 'v4.12' }],
    ['logRecords 1e12', { logRecords: 1e12 }],
    ['logRecords 0', { logRecords: 0 }],
    ["dynamicDebug 'no'", { dynamicDebug: 'no' }],
    ['machine null', { machine: null }],
    ['machine 5', { machine: 5 }],
    ["machine.compatible 'abc'", { machine: { compatible: 'abc' } }],
    ['machine.compatible [1]', { machine: { compatible: [1] } }],
    ['machine.model 5', { machine: { model: 5 } }],
    ['an unknown machine field', { machine: { modle: 'x' } }],
    ['profile 5', { profile: 5 }],
    ['profile { flags: 5 }', { profile: { flags: 5 } }],
    ['profile { name: 5, flags: [] }', { profile: { name: 5, flags: [] } }],
    ['plugins {}', { plugins: {} }],
  ];
  for (const [what, options] of bad) {
    it(`refuses ${what} with a SimError that names the option`, () => {
      const r = outcome(() => createKernel(options as KernelOptions));
      expect(r).toMatch(/^SIM_ERR_(KERNEL_BAD_OPTION|PROFILE_UNKNOWN)$/);
    });
  }

  it('keeps the machine it was given, and a model string', () => {
    const k = createKernel({ machine: { compatible: ['ti,k2hk', 'ti,keystone'], model: 'K2HK EVM' } });
    expect(k.machine).toEqual({ compatible: ['ti,k2hk', 'ti,keystone'], model: 'K2HK EVM' });
  });
});

describe('plugin objects', () => {
  const plugin = (extra: Record<string, unknown>): Plugin =>
    ({ name: 'p', setup: () => undefined, ...extra }) as unknown as Plugin;
  const bad: [string, Record<string, unknown>][] = [
    ['dependencies {}', { dependencies: {} }],
    ['dependencies 5', { dependencies: 5 }],
    ['dependencies [5]', { dependencies: [5] }],
    ['flags [null]', { flags: [null] }],
    ['flags 7', { flags: 7 }],
    ['flags [{ name: 5 }]', { flags: [{ name: 5, description: 'd', where: 'w' }] }],
    ['flags [{ name: "f" }] without description', { flags: [{ name: 'f' }] }],
    ['profiles 7', { profiles: 7 }],
    ['profiles [null]', { profiles: [null] }],
    ['a profile naming an unknown flag', { profiles: [{ name: 'mine', description: 'd', flags: ['noSuchFlag'] }] }],
    ['a profile whose flags is not an array', { profiles: [{ name: 'mine', description: 'd', flags: 'x' }] }],
    ['exercise 5', { exercise: 5 }],
  ];
  for (const [what, extra] of bad) {
    it(`refuses ${what} at use() and at createKernel(), naming the plugin`, () => {
      expect(outcome(() => createKernel({ plugins: [plugin(extra)] }))).toBe('SIM_ERR_PLUGIN_BAD');
      const k = createKernel();
      expect(outcome(() => k.use(plugin(extra)))).toBe('SIM_ERR_PLUGIN_BAD');
      expect(k.plugins()).toEqual([]);
      expect(k.knownFlags().map((f) => f.name)).toEqual(['stopBindOnNotifyBad']);
    });
  }

  it("a profile may use core's flags, its own and its dependencies'", () => {
    const base: Plugin = {
      name: 'base',
      flags: [{ name: 'baseFlag', description: 'd', where: 'w' }],
      setup: () => undefined,
    };
    const top: Plugin = {
      name: 'top',
      dependencies: ['base'],
      flags: [{ name: 'topFlag', description: 'd', where: 'w' }],
      profiles: [{ name: 'both', description: 'd', flags: ['stopBindOnNotifyBad', 'baseFlag', 'topFlag'] }],
      setup: () => undefined,
    };
    expect(createKernel({ plugins: [base, top], profile: 'both' }).profile.flags).toEqual([
      'stopBindOnNotifyBad',
      'baseFlag',
      'topFlag',
    ]);
  });
});

describe('notifier answers and actions of the wrong type', () => {
  for (const compileAfter of [0, Number.POSITIVE_INFINITY]) {
    it(`a BigInt, symbol or object answer is SIM_ERR_NOTIFIER_BAD_RETURN (compileAfter ${compileAfter})`, () => {
      let valueOfCalled = false;
      const answers: unknown[] = [
        1n,
        Symbol('x'),
        {
          valueOf() {
            valueOfCalled = true;
            return 0;
          },
        },
        '0',
      ];
      for (const answer of answers) {
        const chain = createNotifierChain('blocking', 'answers', { compileAfter });
        chain.register({ name: 'odd', notifierCall: () => answer as number });
        for (let i = 0; i < 3; i++) expect(outcome(() => chain.callChain(1, null))).toBe('SIM_ERR_NOTIFIER_BAD_RETURN');
      }
      expect(valueOfCalled).toBe(false);
    });

    it(`a BigInt, symbol or object action is SIM_ERR_NOTIFIER_BAD_ACTION (compileAfter ${compileAfter})`, () => {
      const chain = createNotifierChain('raw', 'actions', { compileAfter });
      chain.register({ name: 'a', notifierCall: () => 0 });
      for (let i = 0; i < 3; i++) chain.callChain(1, null);
      for (const action of [1n, Symbol('x'), { valueOf: () => 1 }, '1', -1, 2 ** 32, 1.5]) {
        expect(outcome(() => chain.callChain(action as number, null))).toBe('SIM_ERR_NOTIFIER_BAD_ACTION');
        expect(outcome(() => chain.callChainLimited(action as number, null, -1))).toBe('SIM_ERR_NOTIFIER_BAD_ACTION');
      }
    });
  }

  it('inside an operation, a BigInt answer is an oops naming the block, not a TypeError', () => {
    const k = createKernel();
    k.bus('platform').registerNotifier({ name: 'bigint', notifierCall: () => 0n as unknown as number });
    expect(k.addDevice({ bus: 'platform', name: 'p' })).toBeNull();
    expect(k.oops?.message).toMatch(
      /SIM_ERR_NOTIFIER_BAD_RETURN: notifier block 'bigint' on chain 'platform' returned 0n/,
    );
  });
});
