import {
  CHAIN_KINDS,
  createNotifierChain,
  NOTIFY_BAD,
  NOTIFY_DONE,
  notifierFromErrno,
  notifierToErrno,
} from '@sim/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/** The kernel's ordering rule, restated: stable sort by priority, higher first. */
function kernelOrder(priorities: number[]): number[] {
  return priorities
    .map((p, i) => ({ p, i }))
    .sort((a, b) => b.p - a.p || a.i - b.i)
    .map((x) => x.i);
}

describe('notifier chain properties', () => {
  it('calls blocks in the kernel order for any sequence of priorities, on every kind', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CHAIN_KINDS),
        fc.array(fc.integer({ min: -0x80000000, max: 0x7fffffff }), { maxLength: 40 }),
        fc.array(fc.integer({ min: -3, max: 3 }), { maxLength: 40 }),
        (kind, wide, narrow) => {
          for (const priorities of [wide, narrow]) {
            const chain = createNotifierChain(kind, 'prop');
            const calls: number[] = [];
            priorities.forEach((priority, i) => {
              chain.register({
                name: `b${i}`,
                priority,
                notifierCall: () => {
                  calls.push(i);
                  return NOTIFY_DONE;
                },
              });
            });
            chain.callChain(1, null);
            expect(calls).toEqual(kernelOrder(priorities));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('notifierToErrno(notifierFromErrno(e)) === e for every errno the encoding can carry', () => {
    fc.assert(
      fc.property(fc.integer({ min: -32766, max: 0 }), (e) => {
        expect(notifierToErrno(notifierFromErrno(e))).toBe(e);
      }),
      { numRuns: 2000 },
    );
    for (let e = -32766; e <= 0; e++)
      if (notifierToErrno(notifierFromErrno(e)) !== e) throw new Error(`round trip ${e}`);
  });

  it('6.12: unregister undoes register: any interleaving leaves exactly the live blocks, in kernel order', () => {
    const op = fc.oneof(
      fc.record({ op: fc.constant('reg' as const), id: fc.nat(9), priority: fc.integer({ min: -2, max: 2 }) }),
      fc.record({ op: fc.constant('unreg' as const), id: fc.nat(9) }),
      fc.record({ op: fc.constant('undo' as const), id: fc.nat(9) }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...CHAIN_KINDS), fc.array(op, { maxLength: 60 }), (kind, ops) => {
        const chain = createNotifierChain(kind, 'prop', { base: '6.12' });
        const blocks = new Map<number, { name: string; priority: number; notifierCall: () => number }>();
        const undos = new Map<number, () => number>();
        // The model: live ids in call order.
        let model: { id: number; priority: number }[] = [];
        for (const step of ops) {
          if (step.op === 'reg') {
            const live = model.some((m) => m.id === step.id);
            const nb = blocks.get(step.id) ?? { name: `b${step.id}`, priority: step.priority, notifierCall: () => 0 };
            if (!live) blocks.set(step.id, { ...nb, priority: step.priority });
            const reg = chain.register(blocks.get(step.id)!);
            if (live) {
              expect(reg.ret).toBeLessThan(0);
            } else {
              expect(reg.ret).toBe(0);
              undos.set(step.id, reg.unregister);
              const at = model.findIndex((m) => step.priority > m.priority);
              model.splice(at === -1 ? model.length : at, 0, { id: step.id, priority: step.priority });
            }
          } else {
            const live = model.some((m) => m.id === step.id);
            const nb = blocks.get(step.id);
            const ret =
              step.op === 'undo' ? (undos.get(step.id)?.() ?? -2) : nb === undefined ? -2 : chain.unregister(nb);
            expect(ret).toBe(live ? 0 : -2);
            model = model.filter((m) => m.id !== step.id);
            undos.delete(step.id);
          }
          expect(chain.blocks().map((b) => b.name)).toEqual(model.map((m) => `b${m.id}`));
        }
      }),
      { numRuns: 300 },
    );
  });
});

/** v4.12's singly linked list, restated from kernel/notifier.c: the reference the chain must match, loops and all. */
class PointerList {
  head: PNode | null = null;
  /** notifier_chain_register(): 'spin' where the walk would go round a self-linked node for ever. */
  register(n: PNode): 0 | 'spin' {
    let prev: PNode | null = null;
    let cur = this.head;
    while (cur !== null && !(n.priority > cur.priority)) {
      if (cur.next === cur) return 'spin';
      prev = cur;
      cur = cur.next;
    }
    n.next = cur;
    if (prev === null) this.head = n;
    else prev.next = n;
    return 0;
  }
  /** notifier_chain_unregister(). */
  unregister(n: PNode): 0 | -2 | 'spin' {
    let prev: PNode | null = null;
    for (let cur = this.head; cur !== null; prev = cur, cur = cur.next) {
      if (cur === n) {
        if (prev === null) this.head = n.next;
        else prev.next = n.next;
        return 0;
      }
      if (cur.next === cur) return 'spin';
    }
    return -2;
  }
  /** The names in walk order, once round a loop; and whether a walk ends in one. */
  walk(): { names: string[]; loops: boolean } {
    const names: string[] = [];
    for (let n = this.head; n !== null; n = n.next) {
      names.push(n.name);
      if (n.next === n) return { names, loops: true };
    }
    return { names, loops: false };
  }
}
interface PNode {
  readonly name: string;
  readonly priority: number;
  next: PNode | null;
}

describe('v4.12 double registration', () => {
  it('the chain is the kernel pointer list after any interleaving, double registrations and loops included', () => {
    const op = fc.oneof(
      fc.record({ op: fc.constant('reg' as const), id: fc.nat(5), priority: fc.integer({ min: -2, max: 2 }) }),
      fc.record({ op: fc.constant('unreg' as const), id: fc.nat(5) }),
      fc.record({ op: fc.constant('call' as const) }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...CHAIN_KINDS), fc.array(op, { maxLength: 40 }), (kind, ops) => {
        const chain = createNotifierChain(kind, 'prop');
        const model = new PointerList();
        const nodes = new Map<number, PNode>();
        const blocks = new Map<number, { name: string; priority: number; notifierCall: () => number }>();
        for (const step of ops) {
          if (step.op === 'call') {
            const expected = model.walk();
            const seen = chain.splats.length;
            logged.length = 0;
            const ret = chain.callChain(1, null);
            const calls = [...logged];
            if (expected.loops) {
              expect(ret).toBe(NOTIFY_BAD);
              expect(chain.splats.at(-1)?.kind).toBe('soft-lockup');
            } else {
              expect(ret).toBe(NOTIFY_DONE);
              expect(chain.splats.length).toBe(seen);
            }
            expect(calls).toEqual(expected.names);
            continue;
          }
          let nb = blocks.get(step.id);
          let node = nodes.get(step.id);
          if (step.op === 'reg') {
            if (nb === undefined || node === undefined) {
              const name = `b${step.id}`;
              nb = {
                name,
                priority: step.priority,
                notifierCall: () => {
                  logged.push(name);
                  return NOTIFY_DONE;
                },
              };
              node = { name, priority: step.priority, next: null };
              blocks.set(step.id, nb);
              nodes.set(step.id, node);
            }
            const want = model.register(node);
            expect(chain.register(nb).ret).toBe(want === 'spin' ? -35 : 0);
          } else {
            if (nb === undefined || node === undefined) continue;
            const want = model.unregister(node);
            expect(chain.unregister(nb)).toBe(want === 'spin' ? -35 : want);
          }
          expect(chain.blocks().map((b) => b.name)).toEqual(model.walk().names);
        }
      }),
      { numRuns: 500 },
    );
  });
});
const logged: string[] = [];

describe('compiled walk', () => {
  type Spec = {
    priority: number;
    ret: number;
    mutate: null | { op: 'unreg' | 'reg'; target: number; priority: number };
  };
  const retValue = fc.constantFrom(0, 1, 0x8000, 0x8001, 0x8002, -19, -32769, 0x8017, 7);
  const spec: fc.Arbitrary<Spec> = fc.record({
    priority: fc.integer({ min: -2, max: 2 }),
    ret: retValue,
    mutate: fc.option(
      fc.record({
        op: fc.constantFrom('unreg' as const, 'reg' as const),
        target: fc.nat(11),
        priority: fc.integer({ min: -2, max: 2 }),
      }),
      { freq: 3 },
    ),
  });

  /** Runs the same chain three times in one tier and returns everything observable. */
  function play(kind: (typeof CHAIN_KINDS)[number], specs: Spec[], compileAfter: number) {
    const chain = createNotifierChain(kind, 'tier', { compileAfter });
    const log: string[] = [];
    const extra = new Map<number, { name: string; notifierCall: () => number; priority: number }>();
    const blocks = specs.map((s, i) => ({
      name: `b${i}`,
      priority: s.priority,
      notifierCall: () => {
        log.push(`b${i}`);
        if (s.mutate !== null) {
          const m = s.mutate;
          if (m.op === 'unreg') {
            log.push(`unreg b${m.target} -> ${chain.unregister(blocks[m.target % blocks.length]!)}`);
          } else {
            const nb = extra.get(m.target) ?? {
              name: `x${m.target}`,
              priority: m.priority,
              notifierCall: () => {
                log.push(`x${m.target}`);
                return 0;
              },
            };
            extra.set(m.target, nb);
            log.push(`reg x${m.target} -> ${chain.register(nb).ret}`);
          }
        }
        return s.ret;
      },
    }));
    for (const b of blocks) chain.register(b);
    const rets: number[] = [];
    for (let i = 0; i < 3; i++) rets.push(chain.callChain(5, null));
    return { log, rets, blocks: chain.blocks().map((b) => b.name), splats: chain.splats.map((s) => s.kind) };
  }

  it('behaves exactly like the pointer walk, mutations mid-call included', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CHAIN_KINDS), fc.array(spec, { minLength: 1, maxLength: 12 }), (kind, specs) => {
        expect(play(kind, specs, 0)).toEqual(play(kind, specs, Number.POSITIVE_INFINITY));
      }),
      { numRuns: 500 },
    );
  });

  it('reports a non-integer return from the compiled tier the same way', () => {
    const chain = createNotifierChain('blocking', 'tier', { compileAfter: 0 });
    chain.register({ name: 'fine', notifierCall: () => 0 });
    chain.register({ name: 'sloppy', notifierCall: (() => 'x') as unknown as () => number });
    expect(() => chain.callChain(1, null)).toThrow(/'sloppy' on chain 'tier' returned "x"/);
    expect(chain.calling).toBe(false);
  });
});
