import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenario } from '../src/scenario/load.ts';

/** The messages a file gets, one per problem. */
function problems(text: string): string[] {
  const r = loadScenario(text, 'bad.yaml');
  if (r.ok) throw new Error('the file was accepted');
  return r.problems.map(formatProblem);
}

const NIC = '  devices:\n    - { bus: pci, address: "0000:01:00.1", vendor: 0x10de, device: 0x10f0 }\n';

describe('a scenario file that does not load', () => {
  it('reports a YAML syntax error with its position', () => {
    expect(problems('steps: [ "ls /sys"\nprofile: v4.12\n')).toEqual([
      "bad.yaml:2:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ] at 'profile: v4.12'; expected valid YAML 1.2",
    ]);
  });

  it('reports a key given twice', () => {
    expect(problems('steps: ["ls /sys"]\nsteps: ["ls /sys"]\n')).toEqual([
      "bad.yaml:2:1: YAML duplicate key: 'steps' is given twice in this mapping; expected each key once per mapping",
    ]);
  });

  it('reports aliases that expand too far (billion laughs), at the first alias', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b]',
      'd: [*c, *c, *c, *c, *c, *c, *c, *c]',
      'steps: [ls /sys]',
      '',
    ].join('\n');
    expect(problems(bomb)).toEqual([
      'bad.yaml:2:8: YAML aliases expand too far: Excessive alias count indicates a resource exhaustion attack; expected at most 100 alias expansions in the document',
    ]);
  });

  it('reports an empty file', () => {
    expect(problems('# nothing\n')).toEqual(['bad.yaml:1:1: the file is empty; expected a mapping with steps']);
  });

  it('reports every schema violation at once, each at its own position', () => {
    const text = [
      'profile: v5.0',
      'topology:',
      '  devices:',
      '    - { bus: pci, address: "0000:01:00.1", vendor: 0x10de }',
      '    - { bus: pcie, address: "0000:01:00.2", vendor: 1, device: 2 }',
      '  drivers:',
      '    - { name: snd, bus: pci, probe: fail }',
      'stepz: []',
      'steps:',
      '  - ls /sys',
      '',
    ].join('\n');
    expect(problems(text)).toEqual([
      "bad.yaml:1:10: profile: 'v5.0' is not allowed here; expected one of 'v4.12', 'v4.12+bind-veto', 'v6.12', 'rfc-2017'",
      "bad.yaml:4:7: topology.devices[0]: 'device' is missing; expected 'device': an integer from 0 to 65535",
      "bad.yaml:5:14: topology.devices[1].bus: 'pcie' is not a known bus; expected 'pci', 'platform', 'i2c', a bus of topology.buses",
      "bad.yaml:7:37: topology.drivers[0].probe: 'fail' does not fit here; expected what the probe does: ok, defer, a negative errno such as -ENOMEM, { deferUntil: <driver> }, or { sleep: <ms>, errno?: -EIO } (it sleeps, letting other tasks run)",
      "bad.yaml:8:1: stepz: unknown key 'stepz'; expected one of name, description, profile, profiles, inapplicable, plugins, topology, notifiers, inject, steps, tasks, schedule, explore, expect",
    ]);
  });

  it('requires steps', () => {
    expect(problems('description: nothing to do\n')).toEqual([
      "bad.yaml:1:1: 'steps' is missing; expected 'steps': a list",
    ]);
  });

  it('names an unknown step verb, pointing at the verb', () => {
    expect(problems('steps:\n  - eho 1 > /sys/bus/pci/rescan\n')).toEqual([
      "bad.yaml:2:5: steps[0]: unknown step verb 'eho' in 'eho 1 > /sys/bus/pci/rescan'; expected one of echo, cat, ls, readlink, modprobe, rmmod, open, ioctl, close, dmesg, notify, inject, inject-probe",
    ]);
  });

  it('names an unknown device in a sysfs path, pointing at the device', () => {
    expect(problems(`topology:\n${NIC}steps:\n  - cat /sys/bus/pci/devices/0000:09:00.0/vendor\n`)).toEqual([
      "bad.yaml:5:30: steps[0]: unknown device '0000:09:00.0' in '/sys/bus/pci/devices/0000:09:00.0/vendor'; expected a pci device of the topology: 0000:01:00.1",
    ]);
  });

  it('names an unknown driver, in a path and after modprobe', () => {
    expect(
      problems(
        `topology:\n${NIC}  drivers:\n    - { name: snd_hda_intel, bus: pci }\nsteps:\n  - echo 0000:01:00.1 > /sys/bus/pci/drivers/vfio-pci/bind\n  - modprobe nouveau\n`,
      ),
    ).toEqual([
      "bad.yaml:7:46: steps[0]: unknown driver 'vfio-pci' in '/sys/bus/pci/drivers/vfio-pci/bind'; expected a pci driver of the topology or a plugin: snd_hda_intel",
      "bad.yaml:8:14: steps[1]: unknown driver 'nouveau' in 'modprobe nouveau'; expected a driver of topology.drivers: snd_hda_intel",
    ]);
  });

  it('names an unknown path and an unknown /dev node', () => {
    expect(problems('steps:\n  - cat /sys/firmware/acpi\n  - open /dev/vfio/7\n  - cat /sys/bus/pci/slots\n')).toEqual([
      "bad.yaml:2:14: steps[0]: unknown /sys directory 'firmware' in '/sys/firmware/acpi'; expected /sys/bus, /sys/devices, /sys/class, /sys/kernel or /sys/module",
      "bad.yaml:3:10: steps[1]: unknown device node '/dev/vfio/7'; expected no /dev node: the plugins in use make none",
      "bad.yaml:4:22: steps[2]: unknown entry 'slots' of /sys/bus/pci in '/sys/bus/pci/slots'; expected one of devices, drivers, drivers_probe, drivers_autoprobe, uevent, rescan",
    ]);
  });

  it('keeps each message on one line when the file quotes a newline or a control character', () => {
    expect(problems('steps:\n  - "i2c-0\\ni2c-1"\n  - "modprobe a\\u0001b\\u2028"\n')).toEqual([
      "bad.yaml:2:6: steps[0]: unknown step verb 'i2c-0\\u000ai2c-1' in 'i2c-0\\u000ai2c-1'; expected one of echo, cat, ls, readlink, modprobe, rmmod, open, ioctl, close, dmesg, notify, inject, inject-probe",
      "bad.yaml:3:15: steps[1]: unknown driver 'a\\u0001b\\u2028' in 'modprobe a\\u0001b\\u2028'; expected a driver of topology.drivers: none is declared",
    ]);
  });

  it('points inside quoted steps', () => {
    expect(
      problems(`steps:\n  - "echo 1 > /sys/bus/pci/rescan extra"\n  - 'echo "open > /sys/bus/pci/rescan'\n`),
    ).toEqual([
      "bad.yaml:2:35: steps[0]: text after the path in 'echo 1 > /sys/bus/pci/rescan extra'; expected echo [-n] TEXT > /sys/PATH",
      `bad.yaml:3:11: steps[1]: unterminated " quote in 'echo "open > /sys/bus/pci/rescan'; expected a closing "`,
    ]);
  });

  it('checks notifiers, plugins, ids and expectations against the topology', () => {
    const text = [
      'plugins: [vfio]',
      'topology:',
      '  devices:',
      '    - { bus: pci, address: "0000:01:00.1", vendor: 0x10de, device: 0x10f0 }',
      '  drivers:',
      '    - { name: snd_hda_intel, bus: pci, ids: ["10de:10f0", "nvidia"] }',
      'notifiers:',
      '  - { bus: usb, name: veto, answer: -EWHAT, devices: ["0000:09:00.0"] }',
      'steps:',
      '  - ls /sys',
      '  - run: ls /sys',
      '    expect: -EWHO',
      'expect:',
      '  drivers:',
      '    "0000:09:00.0": snd_hda_intel',
      '    "0000:01:00.1": nouveau',
      '  byProfile:',
      '    v9: { oops: none }',
      '',
    ].join('\n');
    expect(problems(text)).toEqual([
      "bad.yaml:1:11: plugins[0]: plugin 'vfio' needs plugin 'iommu-group' listed before it; expected plugins: [iommu-group, vfio]",
      "bad.yaml:6:59: topology.drivers[0].ids[1]: PCI id 'nvidia' is not vendor:device; expected 'vvvv:dddd' in hex, such as '10de:10f0', or { vendor, device }",
      "bad.yaml:8:12: notifiers[0].bus: unknown bus 'usb'; expected one of platform, pci, i2c (declare your own in topology.buses)",
      "bad.yaml:8:37: notifiers[0].answer: unknown errno in '-EWHAT'; expected an errno name such as -EBUSY or -ENODEV",
      "bad.yaml:8:55: notifiers[0].devices[0]: unknown device '0000:09:00.0'; expected a device of the topology: 0000:01:00.1",
      "bad.yaml:12:13: steps[1].expect: unknown errno '-EWHO'; expected a negative errno name such as -ENODEV, -EINVAL or -EBUSY",
      "bad.yaml:15:5: expect.drivers.0000:09:00.0: unknown device '0000:09:00.0'; expected a device of the topology: 0000:01:00.1",
      "bad.yaml:16:21: expect.drivers.0000:01:00.1: unknown driver 'nouveau'; expected a driver of the topology or a plugin: snd_hda_intel, vfio-pci",
      "bad.yaml:18:5: expect.byProfile.v9: unknown profile 'v9'; expected one of v4.12, v4.12+bind-veto, v6.12, rfc-2017",
    ]);
  });

  it('checks plugin names, dependencies and options, and the profiles that come with a plugin', () => {
    expect(problems('plugins: [nvme]\nsteps: [ls /sys]\n')).toEqual([
      "bad.yaml:1:11: plugins[0]: 'nvme' is not allowed here; expected one of 'iommu-group', 'vfio', 'keystone', 'i2cdev', 'tce-iommu', 'acpi-lpss'",
    ]);
    expect(
      problems('plugins:\n  - { name: iommu-group, options: { buses: [pci, pci] } }\n  - vfio\nsteps: [ls /sys]\n'),
    ).toEqual([
      'bad.yaml:2:35: plugins[0].options: plugin \'iommu-group\' refuses its options: SIM_ERR_IOMMU_BAD_OPTION: iommuGroupPlugin(): buses ["pci","pci"] names a bus twice; name each bus once; expected options that @sim/iommu-group accepts',
    ]);
    expect(problems('profile: rfc-2017\nsteps: [ls /sys]\n')).toEqual([
      "bad.yaml:1:10: profile: profile 'rfc-2017' comes with plugin 'vfio', which this scenario does not use; expected one of v4.12, v4.12+bind-veto, v6.12 (or add 'vfio' to plugins)",
    ]);
  });

  it('checks ioctl commands and the /dev nodes of the plugins in use', () => {
    const head = 'plugins: [iommu-group, vfio]\nsteps:\n';
    expect(
      problems(
        `${head}  - ioctl /dev/vfio/1 VFIO_GROUP_FROB\n  - open /dev/kvm\n  - ioctl /dev/vfio/1 VFIO_GROUP_SET_CONTAINER /dev/null\n`,
      ),
    ).toEqual([
      "bad.yaml:3:23: steps[0]: unknown ioctl command 'VFIO_GROUP_FROB' in 'ioctl /dev/vfio/1 VFIO_GROUP_FROB'; expected one of VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU, VFIO_GROUP_GET_STATUS, VFIO_GROUP_SET_CONTAINER, VFIO_GROUP_UNSET_CONTAINER, VFIO_GROUP_GET_DEVICE_FD",
      "bad.yaml:4:10: steps[1]: unknown device node '/dev/kvm'; expected a node the plugins in use make (vfio)",
      "bad.yaml:5:48: steps[2]: unknown device node '/dev/null'; expected a node the plugins in use make (vfio)",
    ]);
  });

  it('reports what a package refuses only when it starts, at the plugins', () => {
    const text = 'plugins:\n  - { name: iommu-group, options: { buses: [usb] } }\nsteps: [ls /sys]\n';
    expect(problems(text)).toEqual([
      'bad.yaml:2:3: plugins: the plugins do not start: SIM_ERR_IOMMU_BAD_OPTION: iommuGroupPlugin(): bus "usb" is not registered; known buses: platform, pci, i2c (register a bus of your own with kernel.busRegister() before using the plugin); expected what the package accepts (see the message)',
    ]);
  });
});
