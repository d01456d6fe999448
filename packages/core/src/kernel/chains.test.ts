import { describe, expect, it } from 'vitest';
import { SimError } from '../errors/sim-error.ts';
import type { Splat } from '../notifier/notifier-block.ts';
import { type ChainHost, ChainRegistry } from './chains.ts';
import type { TraceEvent } from './trace.ts';
import { Tracer } from './tracer.ts';
import { kernelVersion } from './versions.ts';

/** A chain list over a kernel that is only what the list needs: a journal, a call path, a trace, liveness. */
function setup() {
  const journal: (() => void)[] = [];
  const splats: Splat[] = [];
  const host: ChainHost & { unusable: boolean; journaling: boolean } = {
    version: kernelVersion('4.12'),
    tracer: new Tracer(
      () => 0,
      (on) => registry.toggleObservers(on),
    ),
    stack: ['op'],
    unusable: false,
    journaling: false,
    checkUsable() {
      if (host.unusable) throw new SimError('SIM_ERR_KERNEL_DEAD', 'dead');
    },
    reportSplat: (s) => splats.push(s),
    journalUndo: (undo) => {
      if (host.journaling) journal.push(undo);
    },
  };
  const registry = new ChainRegistry(host, true);
  return { host, registry, journal, splats };
}

describe('ChainRegistry', () => {
  it('lists chains in creation order, finds them by name and names their actions', () => {
    const { registry } = setup();
    const a = registry.create('blocking', 'a', (n) => `A_${n}`);
    registry.create('atomic', 'b');
    expect(registry.names()).toEqual(['a', 'b']);
    expect(registry.named('a')).toBe(a);
    expect(registry.named('zzz')).toBeUndefined();
    expect(registry.actionName(a, 3)).toBe('A_3');
    expect(registry.actionName({}, 3)).toBe('action 3');
  });

  it("puts a dropped chain back in its place when a setup's journal is undone", () => {
    const { host, registry, journal } = setup();
    for (const name of ['a', 'b', 'c']) registry.create('blocking', name);
    host.journaling = true;
    registry.drop(registry.named('b')!);
    registry.create('blocking', 'd');
    expect(registry.names()).toEqual(['a', 'c', 'd']);
    for (const undo of journal.reverse()) undo();
    expect(registry.names()).toEqual(['a', 'b', 'c']);
  });

  it("puts the chain's frame on the call path during a call and names the caller in the trace", () => {
    const { host, registry } = setup();
    const chain = registry.create('blocking', 'bus', (n) => `EV_${n}`);
    const seen: string[][] = [];
    chain.register({
      name: 'nb',
      notifierCall: () => {
        seen.push([...host.stack]);
        return 0;
      },
    });
    const events: TraceEvent[] = [];
    const stop = host.tracer.subscribe((e) => events.push(e));
    expect(registry.call(chain, 2, null, 'device_add')).toBe(0);
    stop();
    expect(seen).toEqual([['op', 'blocking_notifier_call_chain(bus)']]);
    expect(host.stack).toEqual(['op']);
    const call = events.find((e) => e.type === 'chain.call');
    expect(call).toMatchObject({ chain: 'bus', actionName: 'EV_2', caller: 'device_add' });
  });

  it('checks what callChain() is given', () => {
    const { registry } = setup();
    const chain = registry.create('blocking', 'bus');
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return SimError.isInstance(e) ? e.code : String(e);
      }
      return null;
    };
    expect(code(() => registry.call({} as never, 1, null, 'x'))).toBe('SIM_ERR_KERNEL_BAD_ARGUMENT');
    expect(code(() => registry.call(chain, -1, null, 'x'))).toBe('SIM_ERR_NOTIFIER_BAD_ACTION');
    expect(code(() => registry.call(chain, 1, null, 7 as never))).toBe('SIM_ERR_KERNEL_BAD_ARGUMENT');
  });

  it("makes every chain refuse once the kernel is dead, with the kernel's reason", () => {
    const { host, registry } = setup();
    const chain = registry.create('blocking', 'bus');
    host.unusable = true;
    registry.refuseAll();
    expect(() => chain.callChain(1, null)).toThrow('dead');
    expect(() => chain.register({ name: 'late', notifierCall: () => 0 })).toThrow('dead');
  });
});
