import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { makeStyle } from '../format/style.ts';
import { Session } from '../run/session.ts';
import { completer, emptyScenario, runShell } from './shell.ts';

describe('completion', () => {
  const session = new Session(
    {
      ...emptyScenario('v4.12'),
      devices: [
        {
          line: 1,
          name: '0000:01:00.1',
          bus: 'pci',
          spec: { bus: 'pci', address: '0000:01:00.1', vendor: 1, device: 2 },
          iommuGroup: null,
        },
      ],
      drivers: [
        {
          line: 2,
          name: 'snd_hda_intel',
          bus: 'pci',
          ids: null,
          ofMatch: [],
          probe: 'ok',
          loaded: true,
          driverManagedDma: false,
        },
      ],
    },
    'v4.12',
  );
  const complete = completer(session.kernel, ['snd_hda_intel', 'snd_usb']);

  it('completes command names first', () => {
    expect(complete('rea')).toEqual([['readlink '], 'rea']);
    expect(complete('e')[0]).toEqual(['echo ', 'exit ']);
  });

  it('completes sysfs paths, directories with a slash', () => {
    expect(complete('cat /sys/bus/p')).toEqual([['/sys/bus/pci/', '/sys/bus/platform/'], '/sys/bus/p']);
    expect(complete('ls /sys/bus/pci/dri')).toEqual([
      ['/sys/bus/pci/drivers/', '/sys/bus/pci/drivers_autoprobe', '/sys/bus/pci/drivers_probe'],
      '/sys/bus/pci/dri',
    ]);
    expect(complete('cat /sys/bus/pci/devices/0000:01:00.1/driver_o')).toEqual([
      ['/sys/bus/pci/devices/0000:01:00.1/driver_override'],
      '/sys/bus/pci/devices/0000:01:00.1/driver_o',
    ]);
    expect(complete('echo 1 > /sys/bus/pci/devices/')[0]).toEqual(['/sys/bus/pci/devices/0000:01:00.1/']);
    expect(complete('cat /s')).toEqual([['/sys/'], '/s']);
    expect(complete('cat /sys/nonexistent/x')).toEqual([[], '/sys/nonexistent/x']);
  });

  it('completes driver names after modprobe', () => {
    expect(complete('modprobe snd_h')).toEqual([['snd_hda_intel'], 'snd_h']);
  });
});

describe('the shell on a terminal (node:readline driven through a pseudo-TTY stream)', () => {
  it('completes a path on Tab and runs the line', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => {} });
    const stdout = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
    let text = '';
    stdout.on('data', (d: Buffer) => {
      text += d.toString();
    });
    const done = runShell(null, 'v4.12', { stdin, stdout, stderr: stdout, env: {} }, makeStyle(false));
    stdin.write('cat /sys/bus/pci/drivers_au');
    stdin.write('\t');
    stdin.write('\r');
    stdin.write('exit\r');
    expect(await done).toBe(0);
    expect(text).toContain('cat /sys/bus/pci/drivers_autoprobe');
    expect(text).toContain('1\n');
  });
});
