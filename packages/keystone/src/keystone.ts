import {
  BUS_NOTIFY_ADD_DEVICE,
  type BusNotifierBlock,
  type Device,
  EINVAL,
  KERN_ERR,
  type Kernel,
  NOTIFY_BAD,
  NOTIFY_DONE,
  NOTIFY_OK,
  type Plugin,
} from '@sim/core';
import { badOption, show } from './errors.ts';
import { KEYSTONE_HIGH_PHYS_SIZE, KEYSTONE_HIGH_PHYS_START, KEYSTONE_LOW_PHYS_START, pfnDown } from './memory.ts';

/** keystone_match[], arch/arm/mach-keystone/keystone.c: the DT compatibles of the "Keystone" machine. */
export const KEYSTONE_MATCH: readonly string[] = ['ti,k2hk', 'ti,k2e', 'ti,k2l', 'ti,k2g', 'ti,keystone'];

/** The name the notifier block carries in traces and audits (the kernel function's name). */
export const KEYSTONE_NOTIFIER_NAME = 'keystone_platform_notifier';

/** keystonePlugin() options. */
export interface KeystoneOptions {
  /**
   * PHYS_OFFSET: the physical address the kernel runs from. The notifier is registered only when it is at or above
   * KEYSTONE_HIGH_PHYS_START (an LPAE kernel running from the 36-bit high alias of DDR). Default
   * KEYSTONE_HIGH_PHYS_START; pass KEYSTONE_LOW_PHYS_START for a kernel running from the low alias.
   */
  readonly physOffset?: number;
}

/** A device's DMA range map (struct bus_dma_region, 6.12): the one range dma_direct_set_offset() sets. */
export interface DmaRangeMap {
  readonly cpuStart: number;
  readonly dmaStart: number;
  readonly size: number;
}

/** dev->dma_range_map of devices keystone's notifier gave one (6.12; v4.12 sets dev->dma_pfn_offset instead). */
const rangeMaps = new WeakMap<Device, DmaRangeMap>();

/** A device's DMA range map (6.12, set by keystone's notifier through dma_direct_set_offset()), or null. */
export function dmaRangeMap(dev: Device): DmaRangeMap | null {
  return rangeMaps.get(dev) ?? null;
}

/** What keystone_init() left on one kernel. */
export interface KeystoneState {
  /** The notifier is on the platform bus chain. */
  readonly registered: boolean;
  /** keystone_dma_pfn_offset (v4.12; 0 when keystone_init() did not set it, and always 0 on 6.12). */
  readonly dmaPfnOffset: number;
  /** Why it is not registered, or null. */
  readonly reason: string | null;
}

/** Highest physical address an LPAE (40-bit) ARM kernel can run from. */
const MAX_PHYS = 2 ** 40 - 1;
const OPTION_KEYS = ['physOffset'];

/** The plugin's name. */
export const KEYSTONE_PLUGIN_NAME = 'keystone';

/**
 * TI Keystone 2's platform-bus notifier: registered by the machine's init_machine hook when the machine is a
 * Keystone and the kernel runs from the high alias of DDR; gives platform devices that have no device-tree node
 * their DMA offset (v4.12: dev->dma_pfn_offset; 6.12: a DMA range map through dma_direct_set_offset(), v5.10);
 * answers NOTIFY_BAD for NULL data on BUS_NOTIFY_ADD_DEVICE, in both.
 */
export function keystonePlugin(options: KeystoneOptions = {}): Plugin & {
  /** What the plugin did on a kernel it was set up on, or undefined. */
  state(kernel: Kernel): KeystoneState | undefined;
} {
  const physOffset = checkOptions(options);
  const states = new WeakMap<Kernel, KeystoneState>();
  return {
    name: KEYSTONE_PLUGIN_NAME,
    dependencies: [],
    setup(kernel) {
      const { state, teardown } = keystoneInit(kernel, physOffset);
      states.set(kernel, state);
      return teardown;
    },
    exercise(kernel) {
      // The notifier's only answer other than NOTIFY_OK/NOTIFY_DONE: NOTIFY_BAD for NULL data on ADD_DEVICE. No
      // kernel caller passes NULL (device_add() always passes the device), so the exercise calls the chain itself.
      if (states.get(kernel)?.registered !== true) return;
      kernel.callChain(
        kernel.bus('platform').notifier,
        kernel.busEvents.BUS_NOTIFY_ADD_DEVICE,
        null,
        'keystone exercise',
      );
    },
    state: (kernel) => states.get(kernel),
  };
}

/**
 * Models keystone_init(), arch/arm/mach-keystone/keystone.c: the machine's init_machine hook (run from
 * customize_machine(), an arch_initcall, so before of_platform_populate() creates the DT devices).
 */
function keystoneInit(kernel: Kernel, physOffset: number): { state: KeystoneState; teardown?: () => void } {
  // init_machine runs only on the machine whose dt_compat matched.
  if (!kernel.machine.compatible.some((c) => KEYSTONE_MATCH.includes(c))) {
    return {
      state: {
        registered: false,
        dmaPfnOffset: 0,
        reason: `machine is not a Keystone (compatible: ${kernel.machine.compatible.join(', ') || 'none'})`,
      },
    };
  }
  if (physOffset < KEYSTONE_HIGH_PHYS_START) {
    return {
      state: {
        registered: false,
        dmaPfnOffset: 0,
        reason: `PHYS_OFFSET 0x${physOffset.toString(16)} is below KEYSTONE_HIGH_PHYS_START`,
      },
    };
  }
  // 6.12 keeps no pfn offset: the notifier gives each device a DMA range map.
  const dmaPfnOffset = kernel.version.base === '4.12' ? pfnDown(KEYSTONE_HIGH_PHYS_START - KEYSTONE_LOW_PHYS_START) : 0;
  const nb: BusNotifierBlock = {
    name: KEYSTONE_NOTIFIER_NAME,
    notifierCall:
      kernel.version.base === '4.12'
        ? (event, dev) => keystonePlatformNotifier(kernel, dmaPfnOffset, event, dev)
        : (event, dev) => keystonePlatformNotifierModern(kernel, event, dev),
  };
  const reg = kernel.bus('platform').registerNotifier(nb);
  // The kernel never unregisters it; the teardown exists because kernel.close() undoes every plugin.
  return { state: { registered: reg.ret === 0, dmaPfnOffset, reason: null }, teardown: () => void reg.unregister() };
}

/** Models keystone_platform_notifier(), arch/arm/mach-keystone/keystone.c. */
export function keystonePlatformNotifier(
  kernel: Kernel,
  dmaPfnOffset: number,
  event: number,
  dev: Device | null,
): number {
  if (event !== BUS_NOTIFY_ADD_DEVICE) return NOTIFY_DONE;
  if (dev === null) return NOTIFY_BAD;
  if (dev.ofNode === null) {
    dev.dmaPfnOffset = dmaPfnOffset;
    // dev_err(), though informational; the format has no separator before the number.
    kernel.devPrintk(KERN_ERR, dev, `set dma_pfn_offset${hex08(dev.dmaPfnOffset)}`);
  }
  return NOTIFY_OK;
}

/**
 * Models keystone_platform_notifier(), arch/arm/mach-keystone/keystone.c of 6.12 (since v5.10's DMA range map): for
 * a device without a device-tree node, dma_direct_set_offset(dev, KEYSTONE_HIGH_PHYS_START,
 * KEYSTONE_LOW_PHYS_START, KEYSTONE_HIGH_PHYS_SIZE) and the dev_err "set dma_offset%08llx%s" (" failed" when a map
 * exists already). The answers are v4.12's: NOTIFY_DONE for other events, NOTIFY_BAD for NULL data, else NOTIFY_OK.
 */
export function keystonePlatformNotifierModern(kernel: Kernel, event: number, dev: Device | null): number {
  if (event !== kernel.busEvents.BUS_NOTIFY_ADD_DEVICE) return NOTIFY_DONE;
  if (dev === null) return NOTIFY_BAD;
  if (dev.ofNode === null) {
    const ret = dmaDirectSetOffset(
      kernel,
      dev,
      KEYSTONE_HIGH_PHYS_START,
      KEYSTONE_LOW_PHYS_START,
      KEYSTONE_HIGH_PHYS_SIZE,
    );
    const offset = (KEYSTONE_HIGH_PHYS_START - KEYSTONE_LOW_PHYS_START).toString(16).padStart(8, '0');
    kernel.devPrintk(KERN_ERR, dev, `set dma_offset${offset}${ret !== 0 ? ' failed' : ''}`);
  }
  return NOTIFY_OK;
}

/**
 * Models dma_direct_set_offset(), kernel/dma/direct.c (6.12): -EINVAL (with its dev_err) when the device has a DMA
 * range map already, 0 for a zero offset, else the one-range map.
 */
function dmaDirectSetOffset(kernel: Kernel, dev: Device, cpuStart: number, dmaStart: number, size: number): number {
  if (rangeMaps.has(dev)) {
    kernel.devPrintk(KERN_ERR, dev, 'attempt to add DMA range to existing map');
    return -EINVAL;
  }
  if (cpuStart === dmaStart) return 0;
  rangeMaps.set(dev, { cpuStart, dmaStart, size });
  return 0;
}

/** printf's %08lx (unsigned long is 32 bits on ARM). */
function hex08(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}

function checkOptions(options: unknown): number {
  if (options === undefined) return KEYSTONE_HIGH_PHYS_START;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw badOption(
      `keystonePlugin() takes an options object such as { physOffset: 0x800000000 }, got ${show(options)}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      throw badOption(`keystonePlugin(): unknown option ${show(key)}; known options: ${OPTION_KEYS.join(', ')}`);
    }
  }
  const { physOffset } = options as KeystoneOptions;
  if (physOffset === undefined) return KEYSTONE_HIGH_PHYS_START;
  if (!Number.isSafeInteger(physOffset) || physOffset < 0 || physOffset > MAX_PHYS) {
    throw badOption(
      `keystonePlugin({ physOffset }) is the physical address the kernel runs from, an integer in [0, 0x${MAX_PHYS.toString(16)}], got ${show(physOffset)}; use KEYSTONE_HIGH_PHYS_START (0x800000000) or KEYSTONE_LOW_PHYS_START (0x80000000)`,
    );
  }
  return physOffset;
}
