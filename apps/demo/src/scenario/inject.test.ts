import { describe, expect, it } from 'vitest';
import { PLUGINS } from '../plugins/registry.ts';
import { decodeInjectAnswer, type InjectContext, parseInjectOption, resolveInject } from './inject.ts';

const CONTEXT: InjectContext = {
  buses: ['platform', 'pci', 'i2c'],
  drivers: [
    { bus: 'pci', name: 'e1000e', loaded: true },
    { bus: 'pci', name: 'snd_hda_intel', loaded: false },
  ],
  plugins: PLUGINS.filter((p) => p.name === 'iommu-group'),
  atBoot: true,
};

describe('parseInjectOption (--inject)', () => {
  it('reads a notifier injection, a chain name with a colon, and its options', () => {
    expect(parseInjectOption('pci:BUS_NOTIFY_BIND_DRIVER=NOTIFY_BAD')).toEqual({
      chain: 'pci',
      action: 'BUS_NOTIFY_BIND_DRIVER',
      answer: 'NOTIFY_BAD',
    });
    expect(parseInjectOption('iommu_group:1:3=notifier_from_errno(-EBUSY),priority=-5,times=2')).toEqual({
      chain: 'iommu_group:1',
      action: 3,
      answer: 'notifier_from_errno(-EBUSY)',
      priority: -5,
      times: 2,
    });
    expect(parseInjectOption('pci:any=0x8002')).toEqual({ chain: 'pci', action: 'any', answer: 0x8002 });
  });

  it('reads a probe fault, with a bus and a call number or without', () => {
    expect(parseInjectOption('probe:snd_hda_intel=-ENOMEM@1')).toEqual({
      probe: 'snd_hda_intel',
      errno: '-ENOMEM',
      nth: 1,
    });
    expect(parseInjectOption('probe:platform/serial8250=-5')).toEqual({
      probe: 'serial8250',
      bus: 'platform',
      errno: -5,
    });
  });

  it.each([
    ['pci=NOTIFY_BAD', "no 'CHAIN:ACTION' before the ="],
    ['pci:BUS_NOTIFY_BIND_DRIVER', "no '=' before the answer"],
    [':BUS_NOTIFY_BIND_DRIVER=NOTIFY_BAD', "no 'CHAIN:ACTION' before the ="],
    ['pci:=NOTIFY_BAD', "no 'CHAIN:ACTION' before the ="],
    ['pci:4=', 'no answer after the ='],
    ['pci:4=NOTIFY_BAD,prio=1', "'prio=1' is not priority=N or times=N"],
    ['pci:4=NOTIFY_BAD,times=x', "'times=x' is not priority=N or times=N"],
    ['probe:e1000e', "no '=' before the errno"],
    ['probe:=-ENOMEM', 'no driver name'],
    ['probe:/e1000e=-ENOMEM', 'no driver name'],
    ['probe:e1000e=', 'no errno after the ='],
    ['probe:e1000e=-ENOMEM@first', "'first' after the @ is not a call number"],
    ['probe:e1000e=-ENOMEM@1@2', "more than one '@'"],
  ])('refuses %s: %s', (spec, error) => {
    expect(parseInjectOption(spec)).toEqual({ error });
  });
});

describe('decodeInjectAnswer', () => {
  it('reads an answer as a notifiers: answer is written', () => {
    expect(decodeInjectAnswer('NOTIFY_STOP')).toBe('NOTIFY_STOP');
    expect(decodeInjectAnswer('-EBUSY')).toEqual({ raw: -16 });
    expect(decodeInjectAnswer('notifier_from_errno(-EINVAL)')).toEqual({ fromErrno: -22 });
    expect(decodeInjectAnswer(0x8002)).toEqual({ raw: 0x8002 });
    expect(decodeInjectAnswer('-EWHAT')).toBeNull();
    expect(decodeInjectAnswer(2 ** 31)).toBeNull();
    expect(decodeInjectAnswer('BAD')).toBeNull();
  });
});

describe('resolveInject', () => {
  it("gives an action name its chain's value: BUS_NOTIFY_BIND_DRIVER is 4, IOMMU_GROUP_NOTIFY_BIND_DRIVER 3", () => {
    const bus = resolveInject({ chain: 'pci', action: 'BUS_NOTIFY_BIND_DRIVER', answer: 'NOTIFY_BAD' }, CONTEXT, 3);
    expect(bus).toEqual({
      decl: {
        kind: 'notifier',
        line: 3,
        chain: 'pci',
        action: 4,
        actionText: 'BUS_NOTIFY_BIND_DRIVER',
        answer: 'NOTIFY_BAD',
        priority: null,
        times: null,
        name: null,
        text: 'inject pci BUS_NOTIFY_BIND_DRIVER NOTIFY_BAD',
      },
    });
    const group = resolveInject(
      { chain: 'iommu_group:1', action: 'IOMMU_GROUP_NOTIFY_BIND_DRIVER', answer: '-EBUSY', times: 1 },
      CONTEXT,
      null,
    );
    expect(group).toMatchObject({ decl: { action: 3, answer: { raw: -16 }, times: 1 } });
  });

  it('finds the bus of a probe fault, and refuses a driver a modprobe step loads', () => {
    expect(resolveInject({ probe: 'e1000e', errno: '-ENOMEM', nth: 2 }, CONTEXT, null)).toMatchObject({
      decl: { kind: 'probe', bus: 'pci', errno: -12, nth: 2, text: 'inject-probe e1000e -ENOMEM nth 2' },
    });
    expect(resolveInject({ probe: 'snd_hda_intel', errno: -12 }, CONTEXT, null)).toEqual({
      problems: [
        {
          field: 'probe',
          message:
            "driver 'snd_hda_intel' is loaded by a modprobe step (loaded: false), so it is not registered when the injections are applied",
          expected: "a driver registered at boot, or a step 'inject-probe snd_hda_intel …' after its modprobe",
        },
      ],
    });
    expect(resolveInject({ probe: 'snd_hda_intel', errno: -12 }, { ...CONTEXT, atBoot: false }, null)).toMatchObject({
      decl: { bus: 'pci' },
    });
  });

  it('reports every problem of one injection, by field', () => {
    const r = resolveInject({ chain: 'pci', action: 2 ** 31, answer: 'NOPE', priority: 0.5, times: 0 }, CONTEXT, null);
    expect('problems' in r && r.problems.map((p) => p.field)).toEqual(['action', 'answer', 'priority', 'times']);
  });
});
