/**
 * Live semantics: real programs (bash, driverctl, lspci) under `sim exec`, whose /sys is the live kernel served
 * over FUSE in a private mount namespace. Goldens come from the model's expectations for the seed story
 * (apps/demo/scenarios/seed.yaml: step 14's result and the end state under each profile) and from the kernel's
 * sysfs layout, not from sim's output. Needs root, /dev/fuse, unshare, driverctl and lspci
 * (scripts/system-deps.txt): where they are missing these tests fail and say so.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { fuseUnavailable } from '@sim/fuse';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { APP, BIN, builtin, ensureBuilt, runnableProfiles } from './helpers.ts';

/** The seed's bind of the audio function to snd_hda_intel, and its step number. */
const BIND_STEP = 14;
const BIND = 'echo 0000:01:00.1 > /sys/bus/pci/drivers/snd_hda_intel/bind';

function simExec(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: '/', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface JsonRun {
  steps: { step: string; result: number | null; errno: string | null }[];
  state: { devices: Record<string, { driver: string | null }> };
  oops: { message: string } | null;
}

/** What the model says step 14 does, per profile (seed.yaml), and the text bash prints for it. */
const BIND_OUTCOME: Record<string, { errno: string | null; bash: string; oops: boolean }> = {
  'v4.12': { errno: null, bash: 'Input/output error', oops: true },
  'v4.12+bind-veto': { errno: null, bash: 'Input/output error', oops: true },
  'rfc-2017': { errno: 'ENODEV', bash: 'No such device', oops: false },
  'v6.12': { errno: 'EBUSY', bash: 'Device or resource busy', oops: false },
};

describe('sim exec: real tools against the live kernel', () => {
  beforeAll(() => {
    const why = fuseUnavailable();
    if (why !== null) throw new Error(`sim exec needs FUSE here: ${why}`);
    if ((process.getuid?.() ?? 0) !== 0) throw new Error('sim exec needs root (it mounts over /sys in a namespace)');
    for (const t of ['unshare', 'driverctl', 'lspci', 'bash']) {
      if (spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0) {
        throw new Error(`${t} is not installed; run bash scripts/system-deps.sh as root`);
      }
    }
    ensureBuilt();
  });

  describe.each(runnableProfiles(builtin('seed')))('the seed story (%s)', (profile) => {
    const want = BIND_OUTCOME[profile]!;

    it(`step ${BIND_STEP} from a real bash prints the kernel's errno text and ends as sim run does`, () => {
      const r = simExec([
        'exec',
        'seed',
        '--at',
        String(BIND_STEP - 1),
        '--profile',
        profile,
        '-f',
        'json',
        '--',
        'bash',
        '-c',
        BIND,
      ]);
      expect(r.stderr).toContain(`echo: write error: ${want.bash}`);
      expect(r.status).toBe(1);
      const live = JSON.parse(r.stdout) as JsonRun;
      // The documented json shape (apps/demo/run-output.schema.json), live steps included.
      const shape = JSON.parse(readFileSync(`${APP}run-output.schema.json`, 'utf8'));
      const check = new Ajv({ strict: true, allErrors: true }).compile(shape);
      expect(check(live), JSON.stringify(check.errors)).toBe(true);
      const last = live.steps.at(-1)!;
      expect(last).toMatchObject({ line: 0, ran: true });
      expect(last.step).toBe(BIND);
      expect(last.errno).toBe(want.errno);
      if (want.oops) {
        expect(last.result).toBeNull();
        expect(r.stderr).toContain('kernel BUG at drivers/vfio/vfio.c:733!');
      }
      // The same scenario through sim run (all its steps; those after the bind change no binding) ends in the same
      // kernel state.
      const ran = spawnSync(process.execPath, [BIN, 'run', 'seed', '--profile', profile, '-f', 'json'], {
        encoding: 'utf8',
      });
      const whole = JSON.parse(ran.stdout) as JsonRun;
      expect(live.state).toEqual(whole.state);
      expect(live.oops?.message ?? null).toBe(whole.oops?.message ?? null);
    });

    it('driverctl unset-override before the group is opened: the override goes and the host driver binds', () => {
      // After step 5 both functions are vfio-pci's by override, no container yet: giving the audio function back
      // is allowed under every profile (the veto and the DMA ownership need a group in use).
      const script = 'driverctl unset-override 0000:01:00.1 && driverctl list-devices && driverctl list-overrides';
      const r = simExec(['exec', 'seed', '--at', '5', '--profile', profile, '-f', 'json', '--', 'sh', '-c', script]);
      expect(r.status).toBe(0);
      expect(r.stderr).toBe(
        '0000:00:00.0 (none)\n0000:00:01.0 pcieport\n0000:01:00.0 vfio-pci [*]\n0000:01:00.1 snd_hda_intel\n' +
          '0000:01:00.0 vfio-pci\n',
      );
      const live = (JSON.parse(r.stdout) as JsonRun).steps.slice(5);
      // What driverctl writes (the reference's strace): unbind, an empty override, a probe.
      expect(live.map((s) => [s.step, s.result])).toEqual([
        ['echo 0000:01:00.1 > /sys/bus/pci/drivers/vfio-pci/unbind', 13],
        ['echo > /sys/devices/pci0000:00/0000:00:01.0/0000:01:00.1/driver_override', 1],
        ['echo 0000:01:00.1 > /sys/bus/pci/drivers_probe', 13],
      ]);
    });

    it('driverctl set-override at the end of the story: the kernel says no and driverctl says so', () => {
      const r = simExec([
        'exec',
        'seed',
        '--profile',
        profile,
        '--',
        'driverctl',
        'set-override',
        '0000:01:00.1',
        'snd_hda_intel',
      ]);
      expect(r.status).toBe(1);
      if (want.oops) {
        // The kernel died in the story: every access fails, driverctl cannot even see the device.
        expect(r.stderr).toContain('driverctl: no such device: 0000:01:00.1');
        expect(r.stderr).toContain('sim exec: the kernel died');
        return;
      }
      expect(r.stderr).toContain('driverctl: failed to bind device 0000:01:00.1 to driver snd_hda_intel');
      // driverctl's writes, as the kernel got them: the override, then a probe the IOMMU group refuses.
      expect(r.stdout).toMatch(/\$ echo snd_hda_intel > \/sys\/devices\/pci0000:00\/0000:00:01\.0\/0000:01:00\.1\/dr/);
      expect(r.stdout).toMatch(/\$ echo 0000:01:00\.1 > \/sys\/bus\/pci\/drivers_probe/);
      expect(r.stdout).toMatch(/0000:01:00\.1 {2}no driver {2}group 1/);
    });
  });

  it('bash: driver_override and drivers_probe bind; the driver link appears at once, relative as sysfs has it', () => {
    const script = [
      'echo vfio-pci > /sys/bus/pci/devices/0000:01:00.0/driver_override',
      'echo 0000:01:00.0 > /sys/bus/pci/drivers_probe',
      'readlink /sys/bus/pci/devices/0000:01:00.0/driver',
      'cat /sys/bus/pci/devices/0000:01:00.0/driver_override',
      'echo 0000:01:00.0 > /sys/bus/pci/drivers/snd_hda_intel/unbind',
      'echo 0000:01:00.0 > /sys/bus/pci/drivers/vfio-pci/unbind',
      'test -L /sys/bus/pci/devices/0000:01:00.0/driver || echo unbound',
      'echo > /sys/bus/pci/devices/0000:01:00.0/driver_override',
      'cat /sys/bus/pci/devices/0000:01:00.0/driver_override',
      'echo x > /sys/bus/pci/devices/0000:01:00.0/vendor',
    ].join('\n');
    const r = simExec(['exec', 'seed', '--at', '0', '--profile', 'rfc-2017', '--', 'bash', '-c', script]);
    expect(r.stdout.split('sim run seed')[0]).toBe('../../../../bus/pci/drivers/vfio-pci\nvfio-pci\nunbound\n(null)\n');
    // unbind_store(): a device the driver does not have is -ENODEV; a read-only attribute cannot be opened to write.
    expect(r.stderr).toContain('line 5: echo: write error: No such device');
    expect(r.stderr).toContain('line 10: /sys/bus/pci/devices/0000:01:00.0/vendor: Permission denied');
    expect(r.status).toBe(1);
  });

  it('lspci -nk and the IOMMU-group loop read the live tree as they read a real one', () => {
    const script =
      'lspci -nk; for g in /sys/kernel/iommu_groups/*; do for d in $g/devices/*; do echo "group $(basename $g) $(basename $d)"; done; done';
    const r = simExec(['exec', 'seed', '--at', '0', '--profile', 'v6.12', '--', 'sh', '-c', script]);
    expect(r.stdout.split('sim run seed')[0]).toBe(
      '00:00.0 0600: 8086:191f\n' +
        '00:01.0 0604: 8086:1901\n\tKernel driver in use: pcieport\n' +
        '01:00.0 0300: 10de:1b80\n' +
        '01:00.1 0403: 10de:10f0\n\tKernel driver in use: snd_hda_intel\n' +
        'group 0 0000:00:00.0\ngroup 1 0000:00:01.0\ngroup 1 0000:01:00.0\ngroup 1 0000:01:00.1\n',
    );
    expect(r.status).toBe(0);
  });

  it("exits with the command's status, 128 + the signal for one killed by a signal", () => {
    expect(simExec(['exec', 'seed', '--at', '0', '-f', 'json', '--', 'sh', '-c', 'exit 7']).status).toBe(7);
    expect(simExec(['exec', 'seed', '--at', '0', '-f', 'json', '--', 'sh', '-c', 'kill -TERM $$']).status).toBe(143);
  });

  it('refuses a missing command and a bad --at, before touching anything', () => {
    const none = simExec(['exec', 'seed']);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/name the command to run/);
    const bad = simExec(['exec', 'seed', '--at', 'x', '--', 'true']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--at takes a step number/);
  });
});

/** A bash script: start `sim mount MNT ARGS` in the background, wait for the mount, run BODY, then stop it. */
function mountScript(args: string, body: string, stop = 'kill -TERM $pid 2>/dev/null'): string {
  return `M=$(mktemp -d)
node '${BIN}' mount "$M" ${args} >"$M.out" 2>"$M.err" & pid=$!
for i in $(seq 200); do grep -q " $M fuse" /proc/self/mounts && break; sleep 0.05; done
${body}
${stop}
wait $pid; echo "exit $?"
grep -c " $M fuse" /proc/self/mounts
echo '--- stdout'; cat "$M.out"; echo '--- stderr'; cat "$M.err"; rm -rf "$M" "$M.out" "$M.err"`;
}

describe('sim mount: a live /sys at a mount point until interrupted', () => {
  beforeAll(() => ensureBuilt());

  it('serves reads and writes, unmounts on SIGTERM and prints the trace with each write as a step', () => {
    const body = [
      'cat "$M/bus/pci/devices/0000:01:00.1/vendor"',
      'lspci -n -O sysfs.path="$M/bus/pci" | tail -1',
      'echo 0000:01:00.1 > "$M/bus/pci/drivers/snd_hda_intel/bind"',
    ].join('\n');
    const r = spawnSync(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'bash',
        '-c',
        mountScript(`seed --at ${BIND_STEP - 1} --profile v6.12`, body),
      ],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    const [head, rest] = r.stdout.split('--- stdout\n');
    expect(head).toBe('0x10de\n01:00.1 0403: 10de:10f0\nexit 0\n0\n');
    expect(r.stderr).toContain('echo: write error: Device or resource busy');
    const [trace, err] = rest!.split('--- stderr\n');
    expect(trace).toContain(`${BIND_STEP}. $ ${BIND}`);
    expect(trace).toContain('= -16 (EBUSY)');
    expect(err).toMatch(/unmounted \(SIGTERM\)/);
  });

  it('when the kernel oopses: the writer gets EIO, the oops is printed, the mount goes, exit 1', () => {
    const body = `echo 0000:01:00.1 > "$M/bus/pci/drivers/snd_hda_intel/bind"; sleep 0.3; cat "$M/bus/pci/devices/0000:01:00.1/vendor" 2>&1 | sed 's/.*: //'`;
    const r = spawnSync(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'bash',
        '-c',
        mountScript(`seed --at ${BIND_STEP - 1} --profile v4.12`, body, ':'),
      ],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(r.stderr).toContain('echo: write error: Input/output error');
    const [head, rest] = r.stdout.split('--- stdout\n');
    // After the oops the mount is gone: the path is the empty directory under it.
    expect(head).toBe('No such file or directory\nexit 1\n0\n');
    expect(rest).toContain('kernel BUG at drivers/vfio/vfio.c:733!');
    expect(rest).toMatch(/the kernel died; every access now fails with EIO\. Unmounting\./);
  });

  it('refuses a mount point that is not a directory', () => {
    const r = simExec(['mount', '/nonexistent-sim-mnt', 'seed']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/mount point '\/nonexistent-sim-mnt' is not a directory; create it first/);
  });
});

describe('what sim mount and sim exec say when the machine cannot do it', () => {
  it('names the missing program (mount, unshare) with its Debian package', async () => {
    const { liveUnavailable } = await import('../src/machine/live.ts');
    expect(liveUnavailable(true, () => false)).toBe('util-linux mount is not on PATH (Debian: mount)');
    expect(liveUnavailable(true, (c) => c !== 'unshare')).toBe('unshare is not on PATH (Debian: util-linux)');
    expect(liveUnavailable(false, (c) => c !== 'unshare')).toBeNull();
  });

  it('sim exec without root says it needs root, before doing anything', () => {
    // nobody must reach the checkout: a clone made in `mktemp -d` sits in a 0700 directory, so each directory above
    // it that others cannot search gets o+x for the test and its mode back afterwards.
    const opened: [string, number][] = [];
    for (let d = dirname(BIN); d !== dirname(d); d = dirname(d)) {
      const mode = statSync(d).mode & 0o7777;
      if ((mode & 0o001) === 0) opened.push([d, mode]);
    }
    let r: SpawnSyncReturns<string>;
    try {
      for (const [d, mode] of opened) chmodSync(d, mode | 0o001);
      r = spawnSync(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, 'exec', 'seed', '--', 'true'],
        { encoding: 'utf8', cwd: '/' },
      );
    } finally {
      for (const [d, mode] of opened) chmodSync(d, mode);
    }
    expect(r.stderr).toMatch(
      /sim exec: (needs root to mount over \/sys|this machine cannot serve a FUSE mount: \/dev\/fuse cannot be opened)/,
    );
    expect(r.status).toBe(1);
  });
});
