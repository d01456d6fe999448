import {
  CHAIN_KINDS,
  type ChainKind,
  createNotifierChain,
  EDEADLK,
  EEXIST,
  ENODEV,
  ENOENT,
  NOTIFY_BAD,
  NOTIFY_DONE,
  NOTIFY_OK,
  NOTIFY_STOP,
  type NotifierBlock,
  notifierFromErrno,
  SimError,
  type Splat,
} from '@sim/core';
import { describe, expect, it } from 'vitest';

/** A block that logs its name and answers `ret`. */
function block(log: string[], name: string, priority = 0, ret = NOTIFY_DONE): NotifierBlock<unknown> {
  return {
    name,
    priority,
    notifierCall: () => {
      log.push(name);
      return ret;
    },
  };
}

describe.each(CHAIN_KINDS)('%s chain', (kind: ChainKind) => {
  const make = () => createNotifierChain(kind, `test-${kind}`);

  it('calls higher priority first, and equal priorities in registration order', () => {
    const chain = make();
    const log: string[] = [];
    chain.register(block(log, 'low', -5));
    chain.register(block(log, 'a', 0));
    chain.register(block(log, 'high', 10));
    chain.register(block(log, 'b', 0));
    chain.register(block(log, 'c', 0));
    chain.callChain(1, null);
    expect(log).toEqual(['high', 'a', 'b', 'c', 'low']);
    expect(chain.blocks().map((b) => b.name)).toEqual(log);
  });

  it('returns NOTIFY_DONE from an empty chain', () => {
    expect(make().callChain(1, null)).toBe(NOTIFY_DONE);
  });

  it("returns the last callback's raw int, not an aggregate", () => {
    const chain = make();
    const log: string[] = [];
    chain.register(block(log, 'ok', 1, NOTIFY_OK));
    chain.register(block(log, 'done', 0, NOTIFY_DONE));
    expect(chain.callChain(3, null)).toBe(NOTIFY_DONE);
    const other = make();
    other.register(block(log, 'odd', 0, 0x1234));
    expect(other.callChain(3, null)).toBe(0x1234);
  });

  it.each([
    ['NOTIFY_BAD', NOTIFY_BAD],
    ['NOTIFY_STOP', NOTIFY_STOP],
    ['notifierFromErrno(-ENODEV)', notifierFromErrno(-ENODEV)],
    ['a raw -ENODEV', -ENODEV],
    ['0x8000', 0x8000],
  ])('stops at a block answering %s and returns that value verbatim', (_label, value) => {
    const chain = make();
    const log: string[] = [];
    chain.register(block(log, 'first', 0, NOTIFY_OK));
    chain.register(block(log, 'vetoer', 0, value));
    chain.register(block(log, 'never', 0, NOTIFY_OK));
    expect(chain.callChain(4, null)).toBe(value);
    expect(log).toEqual(['first', 'vetoer']);
  });

  it('does not stop at -32769, which lacks the stop bit', () => {
    const chain = make();
    const log: string[] = [];
    chain.register(block(log, 'odd', 0, -32769));
    chain.register(block(log, 'after', 0, NOTIFY_DONE));
    expect(chain.callChain(4, null)).toBe(NOTIFY_DONE);
    expect(log).toEqual(['odd', 'after']);
  });

  it('passes action, data and the block itself to the callback', () => {
    const chain = make();
    const seen: unknown[] = [];
    const nb: NotifierBlock<unknown> = {
      name: 'spy',
      notifierCall: (action, data, self) => {
        seen.push(action, data, self);
        return NOTIFY_DONE;
      },
    };
    chain.register(nb);
    const data = { dev: 'x' };
    chain.callChain(7, data);
    expect(seen).toEqual([7, data, nb]);
  });

  it('honours nr_to_call and counts nr_calls, the stopping callback included', () => {
    const chain = make();
    const log: string[] = [];
    for (const name of ['a', 'b', 'c', 'd']) chain.register(block(log, name));
    const nrCalls = { count: 5 };
    expect(chain.callChainLimited(1, null, 2, nrCalls)).toBe(NOTIFY_DONE);
    expect(log).toEqual(['a', 'b']);
    expect(nrCalls.count).toBe(7);
    log.length = 0;
    chain.callChainLimited(1, null, 0, nrCalls);
    expect(log).toEqual([]);
    expect(nrCalls.count).toBe(7);
    chain.callChainLimited(1, null, -1, nrCalls);
    expect(log).toEqual(['a', 'b', 'c', 'd']);
    expect(nrCalls.count).toBe(11);
    const stopper = make();
    stopper.register(block(log, 'x', 0, NOTIFY_BAD));
    stopper.register(block(log, 'y'));
    const counted = { count: 0 };
    expect(stopper.callChainLimited(1, null, -1, counted)).toBe(NOTIFY_BAD);
    expect(counted.count).toBe(1);
  });

  it('leaves nr_calls untouched on an empty chain', () => {
    const nrCalls = { count: 3 };
    expect(make().callChainLimited(1, null, -1, nrCalls)).toBe(NOTIFY_DONE);
    expect(nrCalls.count).toBe(3);
  });

  it('register returns 0 and an undo; unregister returns 0 then -ENOENT', () => {
    const chain = make();
    const log: string[] = [];
    const nb = block(log, 'a');
    const reg = chain.register(nb);
    expect(reg.ret).toBe(0);
    expect(reg.unregister()).toBe(0);
    expect(chain.isEmpty).toBe(true);
    expect(reg.unregister()).toBe(-ENOENT);
    expect(chain.unregister(nb)).toBe(-ENOENT);
    chain.register(nb);
    expect(chain.unregister(nb)).toBe(0);
  });

  it('a handle undoes exactly its own registration, once: a stale one leaves a new registration alone', () => {
    const chain = make();
    const log: string[] = [];
    const nb = block(log, 'a');
    const first = chain.register(nb);
    expect(chain.unregister(nb)).toBe(0);
    const second = chain.register(nb);
    expect(first.unregister()).toBe(-ENOENT);
    expect(chain.blocks()).toEqual([nb]);
    expect(second.unregister()).toBe(0);
    expect(chain.isEmpty).toBe(true);
    expect(second.unregister()).toBe(-ENOENT);
    const third = chain.register(nb);
    expect(second.unregister()).toBe(-ENOENT);
    expect(first.unregister()).toBe(-ENOENT);
    expect(third.unregister()).toBe(0);
  });

  it('unregisters by identity, not by name', () => {
    const chain = make();
    const log: string[] = [];
    const one = block(log, 'same');
    const two = block(log, 'same');
    chain.register(one);
    chain.register(two);
    expect(chain.unregister(two)).toBe(0);
    expect(chain.blocks()).toEqual([one]);
  });

  it('6.12: refuses a second registration of the same block: the WARN, -EEXIST, chain unchanged', () => {
    const chain = createNotifierChain(kind, `test-${kind}`, { base: '6.12' });
    const log: string[] = [];
    const a = block(log, 'a');
    chain.register(a);
    chain.register(block(log, 'b'));
    const again = chain.register(a);
    expect(again.ret).toBe(-EEXIST);
    expect(again.unregister()).toBe(-ENOENT);
    expect(chain.blocks().map((b) => b.name)).toEqual(['a', 'b']);
    const splat = chain.splats.at(-1)!;
    expect(splat).toMatchObject({
      kind: 'double-register',
      message: 'notifier callback a already registered',
      warn: 'kernel/notifier.c:31',
      fatal: false,
    });
    chain.callChain(1, null);
    expect(log).toEqual(['a', 'b']);
  });

  it('v4.12: a block registered again unlinks the blocks after it of equal priority (returns 0)', () => {
    const chain = make();
    const log: string[] = [];
    const a = block(log, 'a');
    chain.register(block(log, 'first', 5));
    chain.register(a);
    chain.register(block(log, 'b'));
    chain.register(block(log, 'c'));
    chain.register(block(log, 'low', -1));
    const again = chain.register(a);
    expect(again.ret).toBe(0);
    // The walk went past 'a' to 'c' (the last of priority >= 0), set a->next to 'low' and c->next to 'a'.
    expect(chain.blocks().map((b) => b.name)).toEqual(['first', 'a', 'low']);
    const splat = chain.splats.at(-1)!;
    expect(splat.kind).toBe('double-register');
    expect(splat.fatal).toBe(false);
    expect(splat.detail).toContain("'b', 'c' were unlinked");
    chain.callChain(1, null);
    expect(log).toEqual(['first', 'a', 'low']);
    // Its undo is an unregister by identity, as the kernel's.
    expect(again.unregister()).toBe(0);
    expect(chain.blocks().map((b) => b.name)).toEqual(['first', 'low']);
  });

  it('v4.12: the last block of its priority points at itself; the next call that reaches it is a soft lockup', () => {
    const chain = make();
    const log: string[] = [];
    const seen: Splat[] = [];
    chain.observe({ splat: (s) => seen.push(s) });
    const a = block(log, 'a');
    chain.register(block(log, 'first', 1));
    chain.register(a);
    chain.register(block(log, 'low', -1));
    expect(chain.register(a).ret).toBe(0);
    expect(seen[0]?.detail).toContain("'a' now points at itself; 'low' is no longer on it");
    // blocks(), priorityOf() and a lookup end at the loop instead of going round it.
    expect(chain.blocks().map((b) => b.name)).toEqual(['first', 'a']);
    expect(chain.priorityOf(a)).toBe(0);
    expect(chain.callChain(1, null)).toBe(NOTIFY_BAD);
    expect(log).toEqual(['first', 'a']);
    expect(seen.at(-1)).toMatchObject({ kind: 'soft-lockup', block: 'a', action: 1, fatal: true });
    expect(seen.at(-1)?.message).toBe('watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [sim:1]');
  });

  it('v4.12: an answer with the stop bit ends even a looping walk, and nr_to_call bounds it', () => {
    const chain = make();
    const log: string[] = [];
    const bad = block(log, 'bad', 0, NOTIFY_BAD);
    chain.register(bad);
    chain.register(bad);
    expect(chain.callChain(1, null)).toBe(NOTIFY_BAD);
    expect(log).toEqual(['bad']);
    const other = make();
    const ok = block(log, 'ok');
    other.register(ok);
    other.register(ok);
    log.length = 0;
    const nr = { count: 0 };
    expect(other.callChainLimited(1, null, 3, nr)).toBe(NOTIFY_DONE);
    expect(log).toEqual(['ok', 'ok', 'ok']);
    expect(nr.count).toBe(3);
    expect(other.splats.filter((s) => s.kind === 'soft-lockup')).toEqual([]);
  });

  it('v4.12: registering or unregistering past the loop spins for ever: a fatal splat, -EDEADLK, list unchanged', () => {
    const chain = make();
    const a = block([], 'a');
    chain.register(a);
    chain.register(a);
    const later = chain.register(block([], 'later', -1));
    expect(later.ret).toBe(-EDEADLK);
    expect(chain.splats.at(-1)).toMatchObject({ kind: 'soft-lockup', block: 'a', fatal: true });
    // A higher priority still goes in front of the loop.
    expect(chain.register(block([], 'front', 1)).ret).toBe(0);
    expect(chain.blocks().map((b) => b.name)).toEqual(['front', 'a']);
    expect(chain.unregister(block([], 'absent'))).toBe(-EDEADLK);
    // Unregistering the looping block itself "works" (0) and changes nothing: its successor is itself.
    expect(chain.unregister(a)).toBe(0);
    expect(chain.blocks().map((b) => b.name)).toEqual(['front', 'a']);
  });

  it('v4.12: a callback that registers a later block again makes the walk it is in loop there', () => {
    if (kind === 'blocking') return; // blocking registration inside a call is the recursive-locking hazard
    const chain = createNotifierChain(kind, `test-${kind}`, { compileAfter: 0 });
    const log: string[] = [];
    const c = block(log, 'c');
    let armed = false;
    chain.register({
      name: 'a',
      notifierCall: () => {
        log.push('a');
        if (armed) chain.register(c);
        return NOTIFY_DONE;
      },
    });
    chain.register(block(log, 'b'));
    chain.register(c);
    chain.callChain(1, null); // compiles on the first call
    armed = true;
    log.length = 0;
    expect(chain.callChain(1, null)).toBe(NOTIFY_BAD);
    expect(log).toEqual(['a', 'b', 'c']);
    expect(chain.splats.map((x) => x.kind)).toEqual(['double-register', 'soft-lockup']);
  });

  it('v4.12: the compiled tier never compiles a looping list', () => {
    const chain = createNotifierChain(kind, `test-${kind}`, { compileAfter: 0 });
    const log: string[] = [];
    const a = block(log, 'a');
    chain.register(a);
    chain.callChain(1, null);
    chain.register(a);
    for (let i = 0; i < 3; i++) expect(chain.callChain(1, null)).toBe(NOTIFY_BAD);
    expect(log).toEqual(['a', 'a', 'a', 'a']);
  });

  it('lets a callback unregister itself only where the kernel survives it', () => {
    const chain = make();
    const log: string[] = [];
    let answer = 1;
    const self: NotifierBlock<unknown> = {
      name: 'self',
      notifierCall: () => {
        answer = chain.unregister(self);
        return NOTIFY_DONE;
      },
    };
    chain.register(self);
    chain.register(block(log, 'after'));
    chain.callChain(1, null);
    expect(log).toEqual(['after']);
    if (kind === 'raw') {
      expect(answer).toBe(0);
      expect(chain.blocks().map((b) => b.name)).toEqual(['after']);
      expect(chain.splats).toEqual([]);
    } else {
      expect(answer).toBe(-EDEADLK);
      expect(chain.blocks().map((b) => b.name)).toEqual(['self', 'after']);
      const splat = chain.splats[0]!;
      expect(splat.kind).toBe(kind === 'blocking' ? 'recursive-locking' : 'illegal-synchronize');
      expect(splat.block).toBe('self');
    }
  });

  it('validates blocks and leaves the chain unchanged on misuse', () => {
    const chain = make();
    const ok = block([], 'ok');
    chain.register(ok);
    const bad: [unknown, string][] = [
      [null, 'SIM_ERR_NOTIFIER_BAD_BLOCK'],
      [{ notifierCall: () => 0 }, 'SIM_ERR_NOTIFIER_MISSING_NAME'],
      [{ name: '  ', notifierCall: () => 0 }, 'SIM_ERR_NOTIFIER_MISSING_NAME'],
      [{ name: 'x', notifierCall: 42 }, 'SIM_ERR_NOTIFIER_BAD_CALLBACK'],
      [{ name: 'x', priority: 1.5, notifierCall: () => 0 }, 'SIM_ERR_NOTIFIER_BAD_PRIORITY'],
      [{ name: 'x', priority: 2 ** 31, notifierCall: () => 0 }, 'SIM_ERR_NOTIFIER_BAD_PRIORITY'],
    ];
    for (const [nb, code] of bad) {
      let thrown: unknown;
      try {
        chain.register(nb as NotifierBlock<unknown>);
      } catch (e) {
        thrown = e;
      }
      expect(SimError.isInstance(thrown)).toBe(true);
      expect((thrown as SimError).code).toBe(code);
      expect((thrown as SimError).message).toMatch(/test-/);
    }
    expect(chain.blocks()).toEqual([ok]);
  });

  it('rejects a bad action or a non-integer return with a SimError naming the fix', () => {
    const chain = make();
    expect(() => chain.callChain(-1, null)).toThrow(/SIM_ERR_NOTIFIER_BAD_ACTION.*unsigned 32-bit/);
    expect(() => chain.callChainLimited(1, null, 1.5)).toThrow(/SIM_ERR_NOTIFIER_BAD_NR_TO_CALL/);
    chain.register({ name: 'sloppy', notifierCall: (() => undefined) as unknown as () => number });
    expect(() => chain.callChain(1, null)).toThrow(/SIM_ERR_NOTIFIER_BAD_RETURN.*'sloppy'.*returned undefined/);
    expect(chain.calling).toBe(false);
  });

  it('reports endless re-entry as a fatal stack-overflow splat and never hangs', () => {
    const seen: Splat[] = [];
    const chain = createNotifierChain(kind, 'loop', { maxDepth: 8, onSplat: (s) => seen.push(s) });
    let calls = 0;
    chain.register({
      name: 'reenter',
      notifierCall: (action, data) => {
        calls++;
        return chain.callChain(action, data);
      },
    });
    expect(chain.callChain(1, null)).toBe(NOTIFY_BAD);
    expect(calls).toBe(8);
    expect(seen.map((s) => [s.kind, s.fatal])).toEqual([['stack-overflow', true]]);
    expect(seen[0]?.message).toBe('kernel stack overflow (double-fault)');
  });

  it('restores its state when a callback throws', () => {
    const chain = make();
    chain.register({
      name: 'thrower',
      notifierCall: () => {
        throw new Error('boom');
      },
    });
    expect(() => chain.callChain(1, null)).toThrow('boom');
    expect(chain.calling).toBe(false);
  });

  it('feeds every step to an observer, and stops feeding after the undo', () => {
    const chain = make();
    const log: string[] = [];
    const events: string[] = [];
    const stop = chain.observe({
      call: (action) => events.push(`call ${action}`),
      block: (nb, _a, _d, ret) => events.push(`${nb.name}=${ret}`),
      done: (_a, _d, ret, n, by) => events.push(`done ${ret} after ${n} by ${by?.name ?? '-'}`),
      register: (nb, ret) => events.push(`reg ${nb.name} ${ret}`),
      unregister: (nb, ret) => events.push(`unreg ${nb.name} ${ret}`),
    });
    const a = block(log, 'a', 0, NOTIFY_OK);
    chain.register(a);
    chain.register(block(log, 'b', 0, NOTIFY_BAD));
    chain.register(block(log, 'c'));
    chain.callChain(4, null);
    chain.unregister(a);
    stop();
    chain.callChain(4, null);
    expect(events).toEqual([
      'reg a 0',
      'reg b 0',
      'reg c 0',
      'call 4',
      'a=1',
      `b=${NOTIFY_BAD}`,
      `done ${NOTIFY_BAD} after 2 by b`,
      'unreg a 0',
    ]);
  });

  it('rejects an observer that is not an object of hook functions', () => {
    const chain = make();
    expect(() => chain.observe(null as never)).toThrow(/SIM_ERR_NOTIFIER_BAD_OBSERVER/);
    expect(() => chain.observe({ call: 1 } as never)).toThrow(/hook 'call'/);
  });
});

describe('per-kind rules', () => {
  it('blocking condRegister adds once and silently keeps a linked block', () => {
    const chain = createNotifierChain('blocking', 'cond');
    const log: string[] = [];
    const a = block(log, 'a');
    expect(chain.condRegister(a).ret).toBe(0);
    expect(chain.condRegister(a).ret).toBe(0);
    expect(chain.blocks()).toEqual([a]);
    expect(chain.splats).toEqual([]);
  });

  it('only the blocking chain has condRegister', () => {
    for (const kind of ['atomic', 'raw', 'srcu'] as const) {
      expect('condRegister' in createNotifierChain(kind, 'x')).toBe(false);
    }
  });

  it('blocking register from inside a call deadlocks in the kernel: splat and -EDEADLK', () => {
    const chain = createNotifierChain('blocking', 'b');
    let ret = 0;
    chain.register({
      name: 'adder',
      notifierCall: () => {
        ret = chain.register(block([], 'late')).ret;
        return NOTIFY_DONE;
      },
    });
    chain.callChain(1, null);
    expect(ret).toBe(-EDEADLK);
    expect(chain.blocks().map((b) => b.name)).toEqual(['adder']);
    expect(chain.splats[0]?.message).toBe('WARNING: possible recursive locking detected');
  });

  it('while booting, blocking and srcu (un)registration skip the lock, as v4.12 does', () => {
    for (const kind of ['blocking', 'srcu'] as const) {
      const chain = createNotifierChain(kind, 'boot', { booting: () => true });
      const log: string[] = [];
      const self: NotifierBlock<unknown> = {
        name: 'self',
        notifierCall: () => {
          log.push(String(chain.unregister(self)));
          return NOTIFY_DONE;
        },
      };
      chain.register(self);
      chain.callChain(1, null);
      expect(log).toEqual(['0']);
      expect(chain.splats).toEqual([]);
    }
  });

  it('blocking condRegister takes its lock even while booting', () => {
    const chain = createNotifierChain('blocking', 'boot', { booting: () => true });
    let ret = 0;
    chain.register({
      name: 'adder',
      notifierCall: () => {
        ret = chain.condRegister(block([], 'late')).ret;
        return NOTIFY_DONE;
      },
    });
    chain.callChain(1, null);
    expect(ret).toBe(-EDEADLK);
  });

  it.each(['atomic', 'srcu'] as const)('%s register from inside a call is allowed', (kind) => {
    const chain = createNotifierChain(kind, 'r');
    const log: string[] = [];
    let added = false;
    chain.register({
      name: 'adder',
      notifierCall: () => {
        if (!added) {
          added = true;
          chain.register(block(log, 'late', -1));
        }
        return NOTIFY_DONE;
      },
    });
    chain.register(block(log, 'b'));
    chain.callChain(1, null);
    // 'late' lands after 'b', past the captured next pointer, so this very walk reaches it.
    expect(log).toEqual(['b', 'late']);
    expect(chain.splats).toEqual([]);
  });

  it('atomic chain: a sleeping callback is a splat and still runs, as might_sleep() lets it', () => {
    const splats: Splat[] = [];
    const chain = createNotifierChain('atomic', 'panic', { onSplat: (s) => splats.push(s) });
    const log: string[] = [];
    chain.register({ ...block(log, 'sleeper', 0, NOTIFY_OK), mightSleep: true });
    chain.register(block(log, 'after'));
    expect(chain.callChain(1, null)).toBe(NOTIFY_DONE);
    expect(log).toEqual(['sleeper', 'after']);
    expect(splats.map((s) => [s.kind, s.block, s.action, s.fatal])).toEqual([['sleep-in-atomic', 'sleeper', 1, false]]);
    expect(splats[0]?.message).toMatch(/^BUG: sleeping function called from invalid context/);
  });

  it.each(['blocking', 'srcu', 'raw'] as const)('%s chain: a sleeping callback is fine', (kind) => {
    const chain = createNotifierChain(kind, 'sleepy');
    chain.register({ ...block([], 'sleeper'), mightSleep: true });
    chain.callChain(1, null);
    expect(chain.splats).toEqual([]);
  });

  it('raw chain walks the pointers as the kernel: an unlinked next block is still called this pass', () => {
    const chain = createNotifierChain('raw', 'raw');
    const log: string[] = [];
    const b = block(log, 'b');
    const c = block(log, 'c');
    chain.register({
      name: 'a',
      notifierCall: () => {
        log.push('a');
        chain.unregister(b);
        chain.unregister(c);
        return NOTIFY_DONE;
      },
    });
    chain.register(b);
    chain.register(c);
    chain.callChain(1, null);
    // b was captured as `next` before a ran, and an unlinked node keeps its own `next`, which still leads to c.
    expect(log).toEqual(['a', 'b', 'c']);
    expect(chain.blocks().map((x) => x.name)).toEqual(['a']);
  });

  it('raw chain: a block unlinked further down before the walk reaches it is not called', () => {
    const chain = createNotifierChain('raw', 'raw');
    const log: string[] = [];
    const c = block(log, 'c');
    chain.register({
      name: 'a',
      notifierCall: () => {
        log.push('a');
        chain.unregister(c);
        return NOTIFY_DONE;
      },
    });
    chain.register(block(log, 'b'));
    chain.register(c);
    chain.callChain(1, null);
    expect(log).toEqual(['a', 'b']);
  });

  it('raw chain: a block linked right after the current one is skipped, one linked further on is called', () => {
    const chain = createNotifierChain('raw', 'raw');
    const log: string[] = [];
    let once = false;
    chain.register({
      name: 'a',
      priority: 10,
      notifierCall: () => {
        log.push('a');
        if (!once) {
          once = true;
          chain.register(block(log, 'right-after', 5));
          chain.register(block(log, 'far', -5));
        }
        return NOTIFY_DONE;
      },
    });
    chain.register(block(log, 'b', 0));
    chain.callChain(1, null);
    expect(log).toEqual(['a', 'b', 'far']);
  });

  it('rejects an unknown kind and a missing chain name', () => {
    expect(() => createNotifierChain('spin' as never, 'x')).toThrow(/SIM_ERR_NOTIFIER_UNKNOWN_KIND.*'atomic'/);
    expect(() => createNotifierChain('raw', '')).toThrow(/SIM_ERR_NOTIFIER_BAD_NAME/);
  });

  it('keeps a bounded history of splats', () => {
    const chain = createNotifierChain('atomic', 'many');
    chain.register({ ...block([], 's'), mightSleep: true });
    for (let i = 0; i < 100; i++) chain.callChain(1, null);
    expect(chain.splats.length).toBe(64);
  });
});

describe('this inside a callback', () => {
  /** A block written as a method: `this` must be the block itself, whichever tier walks the chain. */
  function methodBlock(name: string, answer: number) {
    return {
      name,
      answer,
      seen: [] as unknown[],
      notifierCall(this: { answer: number; seen: unknown[]; next?: unknown }, _a: number, _d: unknown) {
        this.seen.push(this);
        // A block that writes a field named like the list's link must not be able to cut the chain.
        this.next = null;
        return this.answer;
      },
    };
  }

  for (const compileAfter of [0, 3, Number.POSITIVE_INFINITY]) {
    it(`is the registered block in every call (compileAfter ${compileAfter}), and the chain stays whole`, () => {
      const chain = createNotifierChain('blocking', 'this-test', { compileAfter });
      const first = methodBlock('first', NOTIFY_OK);
      const veto = methodBlock('veto', NOTIFY_BAD);
      chain.register(first);
      chain.register(veto);
      const answers: number[] = [];
      for (let i = 0; i < 20; i++) answers.push(chain.callChain(1, null));
      expect(answers).toEqual(Array(20).fill(NOTIFY_BAD));
      expect(first.seen).toHaveLength(20);
      expect(first.seen.every((t) => t === first)).toBe(true);
      expect(veto.seen.every((t) => t === veto)).toBe(true);
      expect(chain.blocks()).toEqual([first, veto]);
    });
  }

  it('is the registered block in the observed and limited walks too', () => {
    const chain = createNotifierChain('atomic', 'this-observed');
    const b = methodBlock('b', NOTIFY_DONE);
    chain.register(b);
    chain.observe({ block: () => {} });
    chain.callChain(1, null);
    chain.callChainLimited(1, null, 1);
    expect(b.seen).toEqual([b, b]);
  });

  it('the third argument is the registered block, never an internal node', () => {
    const chain = createNotifierChain('raw', 'nb-arg', { compileAfter: 1 });
    const got: unknown[] = [];
    const nb: NotifierBlock<unknown> = {
      name: 'arg',
      notifierCall: (_a, _d, me) => {
        got.push(me);
        return NOTIFY_DONE;
      },
    };
    chain.register(nb);
    for (let i = 0; i < 4; i++) chain.callChain(1, null);
    expect(got.every((x) => x === nb)).toBe(true);
  });
});
