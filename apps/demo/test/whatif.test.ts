import { describe, expect, it } from 'vitest';
import { runScenario } from '../src/run/run.ts';
import { whatIf } from '../src/whatif/whatif.ts';
import { builtin, builtinNames, runnableProfiles, sim } from './helpers.ts';

const BIND = 'echo 0000:01:00.1 > /sys/bus/pci/drivers/snd_hda_intel/bind';

describe('what-if', () => {
  it("the seed's bind after step 13 under each profile: the BUG breaking group 1, the veto, the -EBUSY", () => {
    const r = whatIf(builtin('seed'), ['v4.12', 'rfc-2017', 'v6.12'], [BIND], 13);
    const [v412, rfc, v612] = r.outcomes;
    expect(v412!.returns[0]!.result).toBeNull();
    expect(v412!.oops?.message).toContain('vfio.c:733');
    expect(v412!.groups).toMatchObject([{ group: 1, broken: true, viable: [true, false] }]);
    expect(v412!.devices).toMatchObject([{ device: '0000:01:00.1', driver: [null, 'snd_hda_intel'] }]);
    expect(rfc!.returns[0]).toMatchObject({ result: -19, errno: 'ENODEV' });
    expect(rfc!.devices).toEqual([]);
    expect(v612!.returns[0]).toMatchObject({ result: -16, errno: 'EBUSY' });
    expect(v612!.groups).toEqual([]);
  });

  it('the return equals what the run itself returns at that step (the same replay as sim run)', () => {
    const scenario = builtin('seed');
    for (const profile of ['v4.12', 'rfc-2017', 'v6.12']) {
      const run = runScenario(scenario, profile);
      const r = whatIf(scenario, [profile], [scenario.steps[13]!.text], 13);
      expect(r.outcomes[0]!.returns[0]!.result).toBe(run.steps[13]!.result);
    }
  });

  it("every sysfs write of every built-in run, tried as a what-if on the state before it, returns what the run's step did", () => {
    let checked = 0;
    for (const name of builtinNames()) {
      const scenario = builtin(name);
      for (const profile of runnableProfiles(scenario)) {
        const run = runScenario(scenario, profile);
        run.steps.forEach((s, i) => {
          // A what-if replays the scenario's steps (not its tasks, whose order is a schedule's).
          if (!s.ran || s.step.command.verb !== 'echo' || s.task !== undefined) return;
          const o = whatIf(scenario, [profile], [s.step.text], i).outcomes[0]!;
          expect(o.returns[0]!.result, `${name} ${profile} step ${i + 1}`).toBe(s.result);
          expect(o.oops === null, `${name} ${profile} step ${i + 1}`).toBe(!s.oops);
          checked++;
        });
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('after the kernel died it says so instead of trying', () => {
    const r = whatIf(builtin('seed'), ['v4.12'], [BIND], 15);
    expect(r.outcomes[0]!.dead).toContain('vfio.c:733');
    expect(r.outcomes[0]!.returns[0]!.ran).toBe(false);
  });

  it('compileChains: false gives the same answers (the page runs so)', () => {
    const a = whatIf(builtin('seed'), ['v4.12', 'rfc-2017'], [BIND], 13);
    const b = whatIf(builtin('seed'), ['v4.12', 'rfc-2017'], [BIND], 13, { compileChains: false });
    expect(b).toEqual(a);
  });

  it('sim explain --what-if: text and json, bad input refused with the fix', () => {
    const text = sim(['explain', 'seed', '--after', '13', '--what-if', BIND]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('group 1 BREAKS');
    expect(text.stdout).toContain(
      'v6.12: `echo 0000:01:00.1 > /sys/bus/pci/drivers/snd_hda_intel/bind` returns -16 (EBUSY)',
    );
    const json = sim(['explain', 'seed', '--after', '13', '--what-if', BIND, '--format', 'json']);
    expect(JSON.parse(json.stdout).outcomes.map((o: { profile: string }) => o.profile)).toEqual([
      'v4.12',
      'v4.12+bind-veto',
      'rfc-2017',
      'v6.12',
    ]);
    const bad = [
      [['--what-if', 'cat /sys/bus/pci/devices'], 'a what-if is a sysfs write'],
      [['--what-if', 'echo x >'], 'what-if action'],
      [['--what-if', BIND, '--after', '99'], '--after takes a step number from 0'],
      [['--what-if', BIND, '--after', '-1'], '--after'],
      [['--what-if', BIND, '--group', '1'], 'not both'],
      [['--after', '3', '--group', '1'], '--after goes with --what-if'],
    ] as const;
    for (const [args, message] of bad) {
      const r = sim(['explain', 'seed', ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stdout).toBe('');
    }
  });
});
