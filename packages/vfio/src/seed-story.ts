import {
  createKernel,
  type DriverSpec,
  type Kernel,
  PCI_ANY_ID,
  PCI_HEADER_TYPE_BRIDGE,
  type PciDeviceSpec,
  SimError,
  type TraceEvent,
} from '@sim/core';
import { type IommuGroupOptions, iommuGroupPlugin } from '@sim/iommu-group';
import {
  VFIO_GROUP_GET_DEVICE_FD,
  VFIO_GROUP_GET_STATUS,
  VFIO_GROUP_SET_CONTAINER,
  VFIO_GROUP_STATUS_SIZE,
  VFIO_SET_IOMMU,
  VFIO_TYPE1_IOMMU,
} from './constants.ts';
import type { VfioOptions } from './options.ts';
import { vfioPlugin } from './plugin.ts';
import { formatTrace, resultText } from './trace-text.ts';

/** An ioctl argument of a story step: a number, a string, another step's fd, or a fresh vfio_group_status. */
export type StoryArg = number | string | { readonly fd: string } | { readonly status: true };

/** One step of a story, as data; `line` is how a person would type it. */
export type StoryStep =
  | { readonly op: 'write'; readonly path: string; readonly text: string; readonly line: string }
  | { readonly op: 'open'; readonly path: string; readonly as: string; readonly line: string }
  | {
      readonly op: 'ioctl';
      readonly fd: string;
      readonly cmd: string;
      readonly arg?: StoryArg;
      /** Name the returned fd (VFIO_GROUP_GET_DEVICE_FD). */
      readonly as?: string;
      readonly line: string;
    }
  | { readonly op: 'close'; readonly fd: string; readonly line: string };

/** A story: a machine (devices, drivers loaded at boot, IOMMU groups, vfio options) and the steps run on it. */
export interface Story {
  readonly name: string;
  readonly description: string;
  readonly topology: {
    /** Drivers loaded before the devices appear, as at boot. */
    readonly drivers: readonly DriverSpec[];
    /** Devices in the order they are found. */
    readonly devices: readonly PciDeviceSpec[];
  };
  readonly iommu: IommuGroupOptions;
  readonly vfio: VfioOptions;
  readonly steps: readonly StoryStep[];
}

/** What one step returned. */
export interface StepResult {
  readonly step: StoryStep;
  /** The kernel's int (bytes written, an fd, 0, a negative errno), or null when the task died in an oops. */
  readonly ret: number | null;
  /** VFIO_GROUP_GET_STATUS's flags, for that step. */
  readonly flags?: number;
  /** The trace events of this step. */
  readonly events: readonly TraceEvent[];
}

/** runStory()'s answer. */
export interface StoryRun {
  readonly kernel: Kernel;
  /** The steps that ran (a dead kernel runs no more). */
  readonly results: readonly StepResult[];
  /** Every event of the steps, in order. */
  readonly events: readonly TraceEvent[];
  /** The steps with their events, one line each, as the fixtures keep them. */
  readonly text: string;
}

const write = (path: string, text: string): StoryStep => ({
  op: 'write',
  path,
  text,
  line: text.trim() === '' ? `echo > ${path}` : `echo ${text.trim()} > ${path}`,
});

const GPU = '0000:01:00.0';
const AUDIO = '0000:01:00.1';
const ROOT_PORT = '0000:00:01.0';

/** The machine of the seed story: an x86 PC with a GPU and its HDMI audio function behind a root port. */
const seedTopology: Story['topology'] = {
  drivers: [
    // drivers/pci/pcie/portdrv_pci.c: any PCI-to-PCI bridge of class 0x0604 prog-if 00.
    {
      name: 'pcieport',
      bus: 'pci',
      ids: [{ vendor: PCI_ANY_ID, device: PCI_ANY_ID, class: 0x060400, classMask: 0xffffffff }],
      probe: 'ok',
      // drivers/pci/pcie/portdrv.c:799 (6.12): the port driver does not use the DMA API.
      driverManagedDma: true,
    },
    // The host audio driver, reduced to the one id that matters here.
    { name: 'snd_hda_intel', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x10f0 }], probe: 'ok' },
  ],
  devices: [
    { bus: 'pci', address: '0000:00:00.0', vendor: 0x8086, device: 0x191f, class: 0x060000 },
    {
      bus: 'pci',
      address: ROOT_PORT,
      vendor: 0x8086,
      device: 0x1901,
      class: 0x060400,
      hdrType: PCI_HEADER_TYPE_BRIDGE,
    },
    { bus: 'pci', address: GPU, vendor: 0x10de, device: 0x1b80, class: 0x030000, parent: ROOT_PORT },
    { bus: 'pci', address: AUDIO, vendor: 0x10de, device: 0x10f0, class: 0x040300, parent: ROOT_PORT },
  ],
};

/** The root port without ACS shares IOMMU group 1 with both GPU functions; the host bridge is alone in group 0. */
const seedIommu: IommuGroupOptions = { groups: { [ROOT_PORT]: 1, [GPU]: 1, [AUDIO]: 1 }, rule: 'device' };

/** Giving both functions to vfio-pci, opening the group with a container and an IOMMU, and a device fd. */
const toVfio: readonly StoryStep[] = [
  write(`/sys/bus/pci/drivers/snd_hda_intel/unbind`, `${AUDIO}\n`),
  write(`/sys/bus/pci/devices/${GPU}/driver_override`, 'vfio-pci\n'),
  write('/sys/bus/pci/drivers_probe', `${GPU}\n`),
  write(`/sys/bus/pci/devices/${AUDIO}/driver_override`, 'vfio-pci\n'),
  write('/sys/bus/pci/drivers_probe', `${AUDIO}\n`),
  { op: 'open', path: '/dev/vfio/vfio', as: 'container', line: 'container = open /dev/vfio/vfio' },
  { op: 'open', path: '/dev/vfio/1', as: 'group', line: 'group = open /dev/vfio/1' },
];

const setContainer: readonly StoryStep[] = [
  {
    op: 'ioctl',
    fd: 'group',
    cmd: VFIO_GROUP_SET_CONTAINER,
    arg: { fd: 'container' },
    line: 'ioctl group VFIO_GROUP_SET_CONTAINER container',
  },
  {
    op: 'ioctl',
    fd: 'container',
    cmd: VFIO_SET_IOMMU,
    arg: VFIO_TYPE1_IOMMU,
    line: 'ioctl container VFIO_SET_IOMMU VFIO_TYPE1_IOMMU',
  },
  {
    op: 'ioctl',
    fd: 'group',
    cmd: VFIO_GROUP_GET_DEVICE_FD,
    arg: GPU,
    as: 'gpu',
    line: `gpu = ioctl group VFIO_GROUP_GET_DEVICE_FD ${GPU}`,
  },
];

const status: StoryStep = {
  op: 'ioctl',
  fd: 'group',
  cmd: VFIO_GROUP_GET_STATUS,
  arg: { status: true },
  line: 'ioctl group VFIO_GROUP_GET_STATUS',
};

/** Taking the audio function back from vfio-pci, ready for another driver. */
const release: readonly StoryStep[] = [
  write('/sys/bus/pci/drivers/vfio-pci/unbind', `${AUDIO}\n`),
  write(`/sys/bus/pci/devices/${AUDIO}/driver_override`, '\n'),
];

/**
 * The seed's story: a GPU (10de:1b80) and its HDMI audio function (10de:10f0) at 0000:01:00.0 / .1, in IOMMU group
 * 1 with their root port; both given to vfio-pci; the group opened with a container, an IOMMU and a device fd for
 * the GPU; the audio function unbound from vfio-pci and bound to snd_hda_intel. v4.12: the audio driver's probe
 * runs, then BUG at drivers/vfio/vfio.c:733. v4.12+bind-veto: the same. rfc-2017: driver_sysfs_add() refuses,
 * the bind write gets -ENODEV, the probe never runs, the group stays viable.
 */
export const seedStory: Story = {
  name: 'seed',
  description:
    'GPU and HDMI audio in one IOMMU group given to vfio-pci and opened by userspace; the audio function is then bound to a host driver',
  topology: seedTopology,
  iommu: seedIommu,
  vfio: { pciStub: true },
  steps: [
    ...toVfio,
    ...setContainer,
    status,
    ...release,
    write('/sys/bus/pci/drivers/snd_hda_intel/bind', `${AUDIO}\n`),
    status,
  ],
};

/** The seed story with pci-stub as the audio function's new driver: whitelisted, it binds in every profile. */
export const seedStoryPciStub: Story = {
  ...seedStory,
  name: 'seed-pci-stub',
  description: 'the seed story, but the audio function goes to pci-stub, the whitelisted driver',
  steps: [
    ...toVfio,
    ...setContainer,
    status,
    write('/sys/bus/pci/drivers/vfio-pci/unbind', `${AUDIO}\n`),
    write(`/sys/bus/pci/devices/${AUDIO}/driver_override`, 'pci-stub\n'),
    write('/sys/bus/pci/drivers/pci-stub/bind', `${AUDIO}\n`),
    status,
  ],
};

/** The seed story with no container set: the group is open but idle, so the host driver binds in every profile. */
export const seedStoryNoContainer: Story = {
  ...seedStory,
  name: 'seed-no-container',
  description: 'the seed story, but userspace only opens the group and sets no container: nothing is armed',
  steps: [...toVfio, status, ...release, write('/sys/bus/pci/drivers/snd_hda_intel/bind', `${AUDIO}\n`), status],
};

/** What the seed story ends in under each profile (the issue's expectations, as data). */
export const seedStoryExpected = {
  'v4.12': {
    /** The last step that ran, its result. */
    lastStep: 'echo 0000:01:00.1 > /sys/bus/pci/drivers/snd_hda_intel/bind',
    lastResult: null,
    oops: 'drivers/vfio/vfio.c:733',
    audioDriver: 'snd_hda_intel',
    audioProbeRan: true,
  },
  'v4.12+bind-veto': {
    lastStep: 'echo 0000:01:00.1 > /sys/bus/pci/drivers/snd_hda_intel/bind',
    lastResult: null,
    oops: 'drivers/vfio/vfio.c:733',
    audioDriver: 'snd_hda_intel',
    audioProbeRan: true,
  },
  'rfc-2017': {
    lastStep: 'ioctl group VFIO_GROUP_GET_STATUS',
    lastResult: 0,
    oops: null,
    audioDriver: null,
    audioProbeRan: false,
  },
  /** 6.12: dma_configure() refuses the bind with -EBUSY before any bus event; the probe never runs. */
  'v6.12': {
    lastStep: 'ioctl group VFIO_GROUP_GET_STATUS',
    lastResult: 0,
    oops: null,
    audioDriver: null,
    audioProbeRan: false,
  },
} as const;

/** The seed story's profiles, in the order the issue tells them (and history ran). */
export const SEED_PROFILES = ['v4.12', 'v4.12+bind-veto', 'rfc-2017', 'v6.12'] as const;

/** Builds the story's kernel: plugins, boot-time drivers, then the devices. No step has run. */
export function buildStoryKernel(story: Story, options: { profile?: string; dynamicDebug?: boolean } = {}): Kernel {
  checkStory(story);
  const kernel = createKernel({
    profile: options.profile ?? 'v4.12',
    dynamicDebug: options.dynamicDebug ?? true,
    plugins: [iommuGroupPlugin(story.iommu), vfioPlugin(story.vfio)],
  });
  for (const drv of story.topology.drivers) kernel.registerDriver(drv);
  for (const dev of story.topology.devices) kernel.addDevice(dev);
  return kernel;
}

function checkStory(story: unknown): asserts story is Story {
  const s = story as Story;
  if (
    typeof story !== 'object' ||
    story === null ||
    typeof s.topology !== 'object' ||
    !Array.isArray(s.topology?.devices) ||
    !Array.isArray(s.topology?.drivers) ||
    !Array.isArray(s.steps)
  ) {
    throw new SimError(
      'SIM_ERR_VFIO_BAD_ARGUMENT',
      'runStory(): a story is { name, topology: { drivers, devices }, iommu, vfio, steps }, such as seedStory',
    );
  }
}

/** Runs one step; the fd names bound so far are in `fds`. */
function runStep(kernel: Kernel, step: StoryStep, fds: Map<string, number>): { ret: number | null; flags?: number } {
  const fdOf = (name: string): number => {
    const fd = fds.get(name);
    if (fd === undefined) {
      throw new SimError(
        'SIM_ERR_VFIO_BAD_ARGUMENT',
        `runStory(): step '${step.line}' uses fd '${name}', which no earlier step opened; name one with { as: '${name}' }`,
      );
    }
    return fd;
  };
  switch (step.op) {
    case 'write':
      return { ret: kernel.sysfs.write(step.path, step.text) };
    case 'open': {
      const ret = kernel.dev.open(step.path);
      if (ret !== null && ret >= 0) fds.set(step.as, ret);
      return { ret };
    }
    case 'ioctl': {
      const fd = fdOf(step.fd);
      const a = step.arg;
      if (typeof a === 'object' && 'status' in a) {
        const out = { argsz: VFIO_GROUP_STATUS_SIZE, flags: 0 };
        const ret = kernel.dev.ioctl(fd, step.cmd, out);
        return { ret, flags: out.flags };
      }
      const arg = typeof a === 'object' ? fdOf(a.fd) : a;
      const ret = kernel.dev.ioctl(fd, step.cmd, arg);
      if (step.as !== undefined && ret !== null && ret >= 0) fds.set(step.as, ret);
      return { ret };
    }
    case 'close': {
      const ret = kernel.dev.close(fdOf(step.fd));
      fds.delete(step.fd);
      return { ret };
    }
    default:
      throw new SimError(
        'SIM_ERR_VFIO_BAD_ARGUMENT',
        `runStory(): unknown step ${JSON.stringify(step)}; steps are write, open, ioctl and close`,
      );
  }
}

/**
 * Runs a story under a profile with the trace on: builds the kernel (runs no step), then each step until the end
 * or an oops. The result holds the kernel, each step's result and events, and the text the fixtures keep.
 */
export function runStory(story: Story, options: { profile?: string; dynamicDebug?: boolean } = {}): StoryRun {
  const kernel = buildStoryKernel(story, options);
  const recording = kernel.trace.record();
  const results: StepResult[] = [];
  const text: string[] = [`# ${story.name} under ${kernel.profile.name}`];
  const fds = new Map<string, number>();
  for (const step of story.steps) {
    if (kernel.oops !== null) break;
    const from = recording.events.length;
    const { ret, flags } = runStep(kernel, step, fds);
    const events = recording.events.slice(from);
    results.push(flags === undefined ? { step, ret, events } : { step, ret, flags, events });
    text.push(`$ ${step.line}`);
    for (const line of formatTrace(events)) text.push(`  ${line}`);
    text.push(`= ${resultText(ret)}${flags === undefined ? '' : ` flags=${flags}`}`);
  }
  recording.stop();
  return { kernel, results, events: recording.events, text: `${text.join('\n')}\n` };
}
