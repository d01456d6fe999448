import { describe, expect, it } from 'vitest';
import { mergeEnd, runScenario } from '../src/run/run.ts';
import { loadScenario } from '../src/scenario/load.ts';
import { builtin, builtinNames, usableProfiles } from './helpers.ts';

describe('every built-in scenario', () => {
  const names = builtinNames();

  it('exists for each story the issue names that this build can tell', () => {
    expect(names).toEqual(expect.arrayContaining(['bind-veto', 'deferred-probe', 'driver-override']));
  });

  for (const name of names) {
    describe(name, () => {
      const scenario = builtin(name);

      it('is written for every profile it can run under, or says why one does not apply', () => {
        expect([...scenario.profiles, ...Object.keys(scenario.inapplicable)].sort()).toEqual(
          usableProfiles(scenario).sort(),
        );
        expect(scenario.profiles, 'v6.12 is where the story ends').toEqual(
          Object.hasOwn(scenario.inapplicable, 'v6.12')
            ? expect.not.arrayContaining(['v6.12'])
            : expect.arrayContaining(['v6.12']),
        );
        for (const why of Object.values(scenario.inapplicable)) expect(why.length).toBeGreaterThan(40);
      });

      it('has a description, and expectations for the end state under each profile', () => {
        expect(scenario.description.length).toBeGreaterThan(20);
        for (const p of scenario.profiles) {
          const x = mergeEnd(scenario.expect, scenario.expectByProfile[p]);
          expect(x.oops, p).not.toBeNull();
          expect(x.drivers.size + x.dmesg.length, p).toBeGreaterThan(0);
        }
      });

      for (const profile of scenario.profiles) {
        it(`holds every expectation under ${profile}`, () => {
          const run = runScenario(scenario, profile);
          const failed = run.expectations.filter((e) => !e.ok).map((e) => `line ${e.line}: ${e.message}`);
          expect(failed).toEqual([]);
          expect(run.expectations.length).toBeGreaterThan(0);
        });
      }
    });
  }
});

describe('the bind veto story', () => {
  const scenario = builtin('bind-veto');

  it('binds under v4.12 although the notifier answered NOTIFY_BAD', () => {
    const run = runScenario(scenario, 'v4.12');
    expect(run.devices['0000:01:00.1']?.driver).toBe('snd_hda_intel');
    const outcome = run.steps[0]!.events.find(
      (e) => e.type === 'chain.outcome' && e.actionName === 'BUS_NOTIFY_BIND_DRIVER',
    );
    expect(outcome).toMatchObject({ ret: 0x8002, outcome: 'ignored' });
    expect(run.steps[0]!.events.some((e) => e.type === 'probe' && e.driver === 'snd_hda_intel')).toBe(true);
  });

  it('stops the bind before the probe under v4.12+bind-veto', () => {
    const run = runScenario(scenario, 'v4.12+bind-veto');
    expect(run.devices['0000:01:00.1']?.driver).toBeNull();
    expect(run.steps[0]!.events.some((e) => e.type === 'probe')).toBe(false);
    expect(run.steps[2]).toMatchObject({ result: -19, errno: 'ENODEV' });
  });
});

describe('the notify step', () => {
  it('kills the task when a block oopses on the data (iommu_bus_notifier on NULL), and the run goes on to the end', () => {
    const r = loadScenario(
      'plugins: [iommu-group]\nsteps:\n  - run: notify pci BUS_NOTIFY_ADD_DEVICE NULL\n    expect: oops\n  - run: ls /sys\n    expect: skipped\nexpect: { oops: NULL pointer dereference }\n',
      'notify.yaml',
    );
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const run = runScenario(r.scenario);
    expect(run.steps[0]).toMatchObject({ ran: true, result: null, oops: true });
    expect(run.oops?.message).toBe('BUG: unable to handle kernel NULL pointer dereference in iommu_bus_notifier');
    expect(run.expectations.filter((e) => !e.ok)).toEqual([]);
  });
});
