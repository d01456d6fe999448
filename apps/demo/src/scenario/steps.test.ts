import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCommand, parseStep, tokenize } from './steps.ts';

describe('parseStep', () => {
  it('reads echo as bash does: the words, one space between, and a newline unless -n', () => {
    expect(parseStep('echo 0000:01:00.1 > /sys/bus/pci/drivers_probe')).toEqual({
      verb: 'echo',
      text: '0000:01:00.1\n',
      path: '/sys/bus/pci/drivers_probe',
    });
    expect(parseStep('echo -n vfio-pci >/sys/x')).toEqual({ verb: 'echo', text: 'vfio-pci', path: '/sys/x' });
    expect(parseStep("echo 'a  b' c > /sys/x")).toEqual({ verb: 'echo', text: 'a  b c\n', path: '/sys/x' });
    expect(parseStep('echo > /sys/x')).toEqual({ verb: 'echo', text: '\n', path: '/sys/x' });
    expect(parseStep('echo ">" > /sys/x')).toEqual({ verb: 'echo', text: '>\n', path: '/sys/x' });
  });

  it('reads the other verbs', () => {
    expect(parseStep('cat /sys/a')).toEqual({ verb: 'cat', path: '/sys/a' });
    expect(parseStep('ls /sys')).toEqual({ verb: 'ls', path: '/sys' });
    expect(parseStep('readlink -f /sys/a')).toEqual({ verb: 'readlink', path: '/sys/a', canonical: true });
    expect(parseStep('modprobe vfio-pci')).toEqual({ verb: 'modprobe', driver: 'vfio-pci' });
    expect(parseStep('rmmod vfio-pci')).toEqual({ verb: 'rmmod', driver: 'vfio-pci' });
    expect(parseStep('open /dev/vfio/7')).toEqual({ verb: 'open', path: '/dev/vfio/7' });
    expect(parseStep('ioctl /dev/vfio/7 VFIO_GROUP_SET_CONTAINER /dev/vfio/vfio')).toEqual({
      verb: 'ioctl',
      path: '/dev/vfio/7',
      cmd: 'VFIO_GROUP_SET_CONTAINER',
      arg: '/dev/vfio/vfio',
    });
    expect(parseStep('close /dev/vfio/7')).toEqual({ verb: 'close', path: '/dev/vfio/7' });
    expect(parseStep('dmesg -C')).toEqual({ verb: 'dmesg', clear: true });
    expect(parseStep('cat /sys/a # a comment')).toEqual({ verb: 'cat', path: '/sys/a' });
  });

  it('says what is wrong, where, and what would do', () => {
    expect(parseStep('eho 1 > /sys/a')).toEqual({
      message: "unknown step verb 'eho'",
      offset: 0,
      expected:
        'one of echo, cat, ls, readlink, modprobe, rmmod, open, ioctl, close, dmesg, notify, inject, inject-probe',
    });
    expect(parseStep('echo 1 /sys/a')).toMatchObject({ message: "'echo' without '> /sys/…'", offset: 13 });
    expect(parseStep('cat /proc/cpuinfo')).toMatchObject({
      message: "'cat' works on /sys paths, got '/proc/cpuinfo'",
      offset: 4,
    });
    expect(parseStep('cat')).toMatchObject({ message: "'cat' needs a path", offset: 3 });
    expect(parseStep('cat /sys/a /sys/b')).toMatchObject({ message: "'cat' takes one path", offset: 11 });
    expect(parseStep('open /sys/a')).toMatchObject({ message: "'open' works on /dev paths, got '/sys/a'" });
    expect(parseStep('modprobe')).toMatchObject({ message: "'modprobe' takes one driver name" });
    expect(parseStep('ioctl /dev/vfio/7')).toMatchObject({
      message: "'ioctl' takes a path, a command and an optional argument",
    });
    expect(parseStep("echo 'x > /sys/a")).toMatchObject({ message: "unterminated ' quote", offset: 5 });
    expect(parseStep('   ')).toMatchObject({ message: 'empty step' });
  });

  it('reads inject and inject-probe lines, numbers as numbers, and gives them back', () => {
    const c = parseStep("inject iommu_group:1 3 'notifier_from_errno(-EBUSY)' priority -10 times 2");
    expect(c).toEqual({
      verb: 'inject',
      chain: 'iommu_group:1',
      action: 3,
      answer: 'notifier_from_errno(-EBUSY)',
      priority: -10,
      times: 2,
    });
    expect(parseStep(formatCommand(c as never))).toEqual(c);
    const p = parseStep('inject-probe e1000e -ENOMEM nth 2 bus pci');
    expect(p).toEqual({ verb: 'inject-probe', probe: 'e1000e', errno: '-ENOMEM', nth: 2, bus: 'pci' });
    expect(parseStep(formatCommand(p as never))).toEqual(p);
    expect(parseStep('inject-probe e1000e')).toMatchObject({ message: "'inject-probe' takes a driver and an errno" });
    expect(parseStep('inject pci 4 NOTIFY_BAD times')).toMatchObject({ message: "'times' needs a value" });
  });

  it('gives back what it read: formatCommand() parses to the same command', () => {
    const word = fc.stringMatching(/^[a-z0-9:.' -]{0,8}$/);
    fc.assert(
      fc.property(
        fc.array(word, { maxLength: 3 }),
        fc.boolean(),
        fc.stringMatching(/^[a-z_]{1,6}$/),
        (words, nl, leaf) => {
          const text = `${words.join(' ')}${nl ? '\n' : ''}`;
          const c = { verb: 'echo' as const, text, path: `/sys/${leaf}` };
          const again = parseStep(formatCommand(c));
          // A shell collapses runs of blanks between words; the text survives when it has none.
          if (!/\s\s|^\s|\s$/.test(words.join(' '))) expect(again).toEqual(c);
          else expect(again).toMatchObject({ verb: 'echo', path: c.path });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('tokenize', () => {
  it('keeps quoted > as text and marks it quoted', () => {
    expect(tokenize('a ">" >b')).toEqual([
      { text: 'a', offset: 0, quoted: false },
      { text: '>', offset: 2, quoted: true },
      { text: '>', offset: 6, quoted: false },
      { text: 'b', offset: 7, quoted: false },
    ]);
  });
});
