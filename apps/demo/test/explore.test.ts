import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exploreSystematic, replay } from '../src/explore/index.ts';
import { scenarioSystem } from '../src/explore/scenario-system.ts';
import { builtin, ensureBuilt, sim } from './helpers.ts';

beforeAll(() => ensureBuilt());

interface Json {
  report: { coverage: string; executions: number; complete: boolean };
  classes: {
    schedule: string[];
    outcome: { oops: string | null; breaches: string[]; results: Record<string, string[]> };
    replay: string;
  }[];
}

const explore = (profile: string, extra: string[] = []) => {
  const r = sim(['explore', 'race-set-container', '--profile', profile, '-f', 'json', ...extra]);
  return { ...r, json: r.stdout === '' ? null : (JSON.parse(r.stdout) as Json) };
};

describe('sim explore race-set-container (a host bind racing VFIO_GROUP_SET_CONTAINER)', () => {
  it('v4.12: some schedules BUG (SET_CONTAINER first), and the report says how much it covered', () => {
    const r = explore('v4.12', ['--workers', '0']);
    expect(r.status).toBe(1);
    const oops = r.json!.classes.filter((c) => c.outcome.oops !== null);
    expect(oops.length).toBeGreaterThan(0);
    expect(oops[0]!.outcome.oops).toBe('kernel BUG at drivers/vfio/vfio.c:733!');
    expect(r.json!.report.complete).toBe(true);
    expect(r.json!.report.coverage).toMatch(/^(every-schedule|within-bound|within-bound-reduced)$/);
    // and some do not: the bind first leaves no oops
    expect(r.json!.classes.some((c) => c.outcome.oops === null)).toBe(true);
  });

  for (const profile of ['rfc-2017', 'v6.12']) {
    it(`${profile}: no schedule BUGs; the explorer proves it for every schedule within bound 2, and unbounded`, () => {
      const bounded = explore(profile, ['--workers', '0', '--bound', '2', '--no-sleep-sets']);
      expect(bounded.json!.classes.every((c) => c.outcome.oops === null)).toBe(true);
      expect(bounded.json!.report.coverage).toMatch(/^(within-bound|every-schedule)$/);
      const all = explore(profile, ['--workers', '0', '--bound', 'none']);
      expect(all.json!.classes.every((c) => c.outcome.oops === null)).toBe(true);
      expect(all.json!.report.coverage).toBe('every-schedule');
    }, 120_000);
  }

  it('each class schedule, written as a scenario file, replays to the same outcome with sim run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-explore-'));
    const r = sim(['explore', 'race-set-container', '--profile', 'v4.12', '--workers', '0', '--out', dir]);
    expect(r.stdout).toContain('replay: sim run');
    const files = readdirSync(dir).sort();
    expect(files.length).toBeGreaterThan(1);
    const json = explore('v4.12', ['--workers', '0']).json!;
    for (const [i, c] of json.classes.entries()) {
      const file = join(dir, `race-set-container.v4.12.${i + 1}.yaml`);
      expect(readFileSync(file, 'utf8')).toBe(c.replay);
      const run = sim(['run', file, '--profile', 'v4.12', '-f', 'json']);
      const out = JSON.parse(run.stdout) as { oops: { message: string } | null; tasks: { schedule: string[] } };
      expect(out.oops?.message ?? null).toBe(c.outcome.oops);
      expect(out.tasks.schedule).toEqual(c.schedule);
    }
  }, 120_000);

  it('gives byte-identical reports whatever the worker count, and for the same seed (pct)', () => {
    const a = explore('v4.12', ['--workers', '0']).stdout;
    expect(explore('v4.12', ['--workers', '1']).stdout).toBe(a);
    expect(explore('v4.12', ['--workers', '2']).stdout).toBe(a);
    const p = explore('v4.12', ['--mode', 'pct', '--runs', '200', '--seed', '7', '--workers', '0']).stdout;
    expect(explore('v4.12', ['--mode', 'pct', '--runs', '200', '--seed', '7', '--workers', '2']).stdout).toBe(p);
    expect((JSON.parse(p) as Json).classes.some((c) => c.outcome.oops !== null)).toBe(true);
  }, 120_000);

  it('refuses a scenario without two tasks, and bad options, with exit 2', () => {
    expect(sim(['explore', 'seed']).status).toBe(2);
    expect(sim(['explore', 'seed']).stderr).toContain('no tasks');
    const bad = sim(['explore', 'race-set-container', '--bound', 'x']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--bound takes an integer');
    expect(sim(['explore', 'race-set-container', '--mode', 'bfs']).status).toBe(2);
  });
});

describe('scenario tasks', () => {
  it('sim run replays schedule: and labels each task step; without one, nobody is preempted', () => {
    const r = sim(['run', 'race-set-container', '--profile', 'v6.12']);
    expect(r.stdout).toContain('qemu$ open /dev/vfio/vfio');
    expect(r.stdout).toContain('admin$ echo 0000:01:00.1 > /sys/bus/pci/drivers/snd_hda_intel/bind');
    const j = JSON.parse(sim(['run', 'race-set-container', '--profile', 'v6.12', '-f', 'json']).stdout);
    expect(j.tasks.schedule[0]).toBe('qemu');
    expect(j.steps.filter((s: { task?: string }) => s.task === 'admin')).toHaveLength(1);
  });

  it('refuses a task step that is not a system call, and a schedule naming an unknown task, at their lines', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-tasks-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'steps:',
        '  - cat /sys/bus/pci/drivers_autoprobe',
        'tasks:',
        '  a:',
        '    - modprobe nope',
        '  b:',
        '    - cat /sys/bus/pci/drivers_autoprobe',
        'schedule: [a, zz]',
        '',
      ].join('\n'),
    );
    const r = sim(['run', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /bad\.yaml:5:\d+: tasks\.a\[0\]: a task's step makes a system call; 'modprobe' is not one/,
    );
    expect(r.stderr).toMatch(/bad\.yaml:8:\d+: schedule\[1\]: 'zz' is not a task of this scenario/);
  });

  it("a probe that sleeps ({ sleep: ms }) holds the device's lock while another task's unbind waits for it", () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-sleep-'));
    const file = join(dir, 'slow.yaml');
    writeFileSync(
      file,
      [
        'topology:',
        '  devices:',
        '    - { bus: pci, address: "0000:01:00.0", vendor: 0x8086, device: 0x10fb, class: 0x020000 }',
        '  drivers:',
        '    - { name: ixgbe, bus: pci, ids: ["8086:10fb"], probe: { sleep: 100 } }',
        '    - { name: other, bus: pci, ids: ["8086:10fb"], probe: { sleep: 5, errno: -EIO } }',
        'steps:',
        '  - echo 0000:01:00.0 > /sys/bus/pci/drivers/ixgbe/unbind',
        'tasks:',
        '  a:',
        '    - echo 0000:01:00.0 > /sys/bus/pci/drivers/ixgbe/bind',
        '  b:',
        '    - echo 0000:01:00.0 > /sys/bus/pci/drivers/ixgbe/unbind',
        '# a sleeps in its probe with the lock held; b takes its turn, finds the lock held and waits',
        'schedule: [a, a, a, b, b, b]',
        '',
      ].join('\n'),
    );
    const run = JSON.parse(sim(['run', file, '--profile', 'v4.12', '-f', 'json']).stdout);
    const results = Object.fromEntries(
      run.steps
        .filter((s: { task?: string }) => s.task)
        .map((s: { task: string; result: number }) => [s.task, s.result]),
    );
    // b's unbind waited for a's bind to finish, then unbound it: 13 bytes each.
    expect(results).toEqual({ a: 13, b: 13 });
    expect(run.state.devices['0000:01:00.0'].driver).toBeNull();
    const all = JSON.parse(
      sim(['explore', file, '--profile', 'v4.12', '--bound', 'none', '--workers', '0', '-f', 'json']).stdout,
    ) as Json;
    // b first: nothing to unbind (-ENODEV), a binds; a first: b unbinds after it.
    expect(all.classes.length).toBe(2);
  }, 60_000);

  it('the scenario system is deterministic: a schedule replays to the same outcome class', () => {
    const system = scenarioSystem(builtin('race-set-container'), 'v4.12');
    const report = exploreSystematic(system, { preemptionBound: 2 });
    for (const c of report.classes) expect(replay(system, c.schedule).key).toBe(c.key);
  });
});

describe('scenario tasks after a kernel death', () => {
  it('a kernel that died in the steps runs no task: each task step is listed as not run (found by the fuzz suite)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-dead-'));
    const file = join(dir, 'dead.yaml');
    writeFileSync(
      file,
      [
        'plugins: [iommu-group]',
        'topology:',
        '  devices:',
        '    - { bus: pci, address: "0000:01:00.0", vendor: 0x8086, device: 0x10fb, class: 0x020000 }',
        'steps:',
        '  - notify pci BUS_NOTIFY_ADD_DEVICE NULL',
        'tasks:',
        '  a: [cat /sys/bus/pci/drivers_autoprobe]',
        '  b: [cat /sys/bus/pci/drivers_autoprobe]',
        '',
      ].join('\n'),
    );
    const r = sim(['run', file, '-f', 'json']);
    const run = JSON.parse(r.stdout);
    expect(run.oops).not.toBeNull();
    expect(run.steps.filter((s: { task?: string; ran: boolean }) => s.task !== undefined && !s.ran)).toHaveLength(2);
  });
});
