import { describe, expect, it } from 'vitest';
import { formatJson } from '../src/format/json.ts';
import { runScenario } from '../src/run/run.ts';
import { builtin, builtinNames, runnableProfiles } from './helpers.ts';

const bindStep = (profile: string) => {
  const run = formatJson(runScenario(builtin('seed'), profile));
  return run.steps.find((s) => s.step.endsWith('snd_hda_intel/bind'))!;
};

describe('json steps[].calls', () => {
  it('v4.12: vfio answers on the group chain, iommu_bus_notifier ignores it, the BOUND_DRIVER call dies in the BUG', () => {
    const calls = bindStep('v4.12').calls;
    const bind = calls.find((c) => c.chain === 'pci' && c.event === 'BUS_NOTIFY_BIND_DRIVER')!;
    expect(bind).toMatchObject({ caller: 'driver_sysfs_add', device: '0000:01:00.1', depth: 0, answer: 0 });
    expect(bind.outcome).toBe('ignored');
    const group = calls.find((c) => c.chain === 'iommu_group:1' && c.event === 'IOMMU_GROUP_NOTIFY_BIND_DRIVER')!;
    expect(group.depth).toBe(1);
    expect(group.blocks).toEqual([{ block: 'vfio_iommu_group_notifier', answer: 1, answerName: 'NOTIFY_OK' }]);
    expect(group.outcome).toBe('ignored');
    const bound = calls.find((c) => c.chain === 'pci' && c.event === 'BUS_NOTIFY_BOUND_DRIVER')!;
    expect(bound.answer).toBeNull();
  });

  it('rfc-2017: the veto is honoured and the caller says so', () => {
    const calls = bindStep('rfc-2017').calls;
    const honoured = calls.filter((c) => c.outcome === 'honoured');
    expect(honoured.length).toBeGreaterThan(0);
    expect(honoured.some((c) => c.answerName === 'NOTIFY_BAD')).toBe(true);
    expect(honoured.every((c) => c.effect !== null)).toBe(true);
  });

  it('every call of every built-in run is closed or died with the oops, and its blocks are on its chain', () => {
    for (const name of builtinNames()) {
      const scenario = builtin(name);
      for (const profile of runnableProfiles(scenario)) {
        const run = formatJson(runScenario(scenario, profile));
        for (const s of run.steps) {
          for (const c of s.calls) {
            if (c.answer === null) expect(run.oops, `${name} ${profile} ${s.step}`).not.toBeNull();
            if (c.outcome !== null) expect(c.answer).not.toBeNull();
          }
        }
      }
    }
  });
});
