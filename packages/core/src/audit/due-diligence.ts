import { isI2cAdapter, isI2cClient, isPciDevice, isPlatformDevice } from '../base/device.ts';
import type { DriverSpec } from '../base/driver.ts';
import { ENODEV } from '../constants/errno.ts';
import { describeThrown, SimError, show } from '../errors/sim-error.ts';
import { createKernel } from '../kernel/create.ts';
import type { DeviceSpec, Kernel, Machine, Plugin } from '../kernel/kernel.ts';
import { CORE_PROFILES, type ProfileInput } from '../kernel/profile.ts';
import { isKernelBase, type KernelBase } from '../kernel/versions.ts';
import { AuditCollector } from './collector.ts';
import { kernelContext } from './record.ts';
import type { AuditReport } from './report.ts';

/** auditDueDiligence() options. */
export interface DueDiligenceOptions {
  /**
   * The plugins whose notifiers are audited, in use() order (your own notifiers too: wrap them in a plugin). Each
   * part of the run uses them on a fresh kernel, so a plugin object must keep its state per kernel; pass a function
   * that returns new plugins if yours cannot.
   */
  readonly plugins: readonly Plugin[] | (() => readonly Plugin[]);
  /** The profile the kernels run under. Default 'v4.12'. */
  readonly profile?: ProfileInput;
  /** The machine (keystone's and powerpc's notifiers register only on theirs). */
  readonly machine?: Partial<Machine>;
  /**
   * The devices taken through their life on each bus (added, bound by a driver whose probe fails, bound by one
   * whose probe succeeds, unbound, removed). Default: one representative device per bus (an adapter and a client on
   * i2c).
   */
  readonly devices?: Readonly<Record<string, readonly DeviceSpec[]>>;
  /**
   * The blocks a claim names as the only ones answering something other than 0 / NOTIFY_OK / NOTIFY_DONE (the seed's
   * paragraph names keystone_platform_notifier, tce_iommu_bus_notifier and i2cdev_notifier_call): the report's
   * `claims` says which findings it left out. Default: no claim.
   */
  readonly claimed?: readonly string[];
}

/** What one kernel of the run is made with. */
interface Made {
  kernel: Kernel;
  plugins: readonly Plugin[];
}

const OPTION_KEYS = ['plugins', 'profile', 'machine', 'devices', 'claimed'];
/** Who calls the chains the run calls itself, as the trace shows it. */
const NULL_CALLER = 'sim audit (NULL data)';

function bad(message: string): SimError {
  return new SimError('SIM_ERR_KERNEL_BAD_OPTION', message);
}

function checkOptions(options: unknown): DueDiligenceOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw bad(
      `auditDueDiligence() takes { plugins, profile?, machine?, devices? }, got ${show(options)}; e.g. auditDueDiligence({ plugins: [keystonePlugin()] })`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      throw bad(`auditDueDiligence(): unknown option ${show(key)}; known options: ${OPTION_KEYS.join(', ')}`);
    }
  }
  const o = options as DueDiligenceOptions;
  if (!Array.isArray(o.plugins) && typeof o.plugins !== 'function') {
    throw bad(
      `auditDueDiligence({ plugins }) is an array of plugins (or a function returning one), got ${show(o.plugins)}`,
    );
  }
  if (o.claimed !== undefined && !(Array.isArray(o.claimed) && o.claimed.every((b) => typeof b === 'string'))) {
    throw bad(
      `auditDueDiligence({ claimed }) is a list of block names such as ['keystone_platform_notifier'], got ${show(o.claimed)}`,
    );
  }
  if (o.devices !== undefined) {
    if (typeof o.devices !== 'object' || o.devices === null || Array.isArray(o.devices)) {
      throw bad(`auditDueDiligence({ devices }) maps bus names to device specs, got ${show(o.devices)}`);
    }
    for (const [bus, specs] of Object.entries(o.devices)) {
      if (!Array.isArray(specs)) {
        throw bad(
          `auditDueDiligence({ devices }): devices['${bus}'] must be an array of device specs, got ${show(specs)}`,
        );
      }
    }
  }
  return o;
}

/**
 * The built-in due-diligence run of the audit: every notifier the plugins register is driven through its non-OK
 * paths, each part on a fresh kernel of its own, and the answers other than 0 / NOTIFY_OK / NOTIFY_DONE reported.
 * The parts: each plugin's `exercise(kernel)`; on every bus with a notifier block, a representative device's life
 * (which sends every BUS_NOTIFY_* event through the driver core's real callers); and every BUS_NOTIFY_* event with
 * NULL data, which no driver-core caller sends (its outcome is read from the v4.12 caller of that event).
 */
export function auditDueDiligence(options: DueDiligenceOptions): AuditReport {
  const o = checkOptions(options);
  const all = (): readonly Plugin[] => (typeof o.plugins === 'function' ? o.plugins() : o.plugins);
  // A plugin whose notifier is gone on the profile's base kernel is left out of the run and reported with its reason.
  const first0 = all();
  const base = baseOf(o.profile, first0);
  const unsupported = first0
    .filter((p) => typeof p === 'object' && p !== null && p.unsupported?.[base] !== undefined)
    .map((p) => ({ plugin: p.name, reason: p.unsupported![base]! }));
  const gone = new Set(unsupported.map((u) => u.plugin));
  let fresh: readonly Plugin[] | null = first0;
  const make = (): Made => {
    const plugins = (fresh ?? all()).filter((p) => !(typeof p === 'object' && p !== null && gone.has(p.name)));
    fresh = null;
    const kernel = createKernel({
      plugins,
      ...(o.profile === undefined ? {} : { profile: o.profile }),
      ...(o.machine === undefined ? {} : { machine: o.machine }),
    });
    return { kernel, plugins };
  };
  const collector = new AuditCollector();
  // The first kernel tells which buses have blocks and what the profile is (and throws for bad kernel options).
  const first = make();
  const profile = first.kernel.profile;
  const buses = first.kernel
    .buses()
    .filter((b) => b.notifier.blocks().length > 0)
    .map((b) => b.name);
  let spare: Made | null = first;
  let failure: unknown = null;

  const part = (source: string, drive: (made: Made) => void): void => {
    const made = spare ?? make();
    spare = null;
    const { kernel } = made;
    collector.attach(kernelContext(kernel), source);
    const unsubscribe = kernel.trace.subscribe((e) => collector.feed(e));
    try {
      drive(made);
    } catch (e) {
      // A kernel death is in the trace already. Misuse of the API is the caller's to see. Anything else escaped a
      // callback outside a kernel operation, where the kernel would have oopsed.
      if (SimError.isInstance(e)) {
        failure = e;
      } else if (kernel.oops === null) {
        collector.crash(describeThrown(e), null);
      }
    } finally {
      unsubscribe();
      collector.detach();
      if (kernel.oops === null) kernel.close();
    }
    if (failure !== null) throw failure;
  };

  for (const [i, plugin] of first.plugins.entries()) {
    if (typeof plugin.exercise !== 'function') continue;
    part(`exercise:${plugin.name}`, (made) => made.plugins[i]!.exercise!(made.kernel));
  }
  for (const bus of buses) {
    part(`lifecycle:${bus}`, ({ kernel }) => lifecycle(kernel, bus, o.devices?.[bus] ?? defaultDevices(kernel, bus)));
  }
  for (const bus of buses) {
    for (const action of first.kernel.busEvents.events) {
      part(`null-data:${bus}`, ({ kernel }) => {
        kernel.callChain(kernel.bus(bus).notifier, action, null, NULL_CALLER);
      });
    }
  }
  if (spare !== null) (spare as Made).kernel.close();
  const report = collector.report('due-diligence', profile.name, profile.flags, first.kernel.version, unsupported);
  if (o.claimed === undefined) return report;
  const claimed = [...o.claimed];
  const found = new Set(report.findings.map((f) => f.block));
  const missed = [
    ...new Set(report.findings.filter((f) => !claimed.includes(f.block)).map((f) => `${f.chain}/${f.block}`)),
  ];
  return { ...report, claims: { claimed, missed, unfound: claimed.filter((b) => !found.has(b)) } };
}

/** The base kernel of the run's profile (the plugins may define it); '4.12' when createKernel() will refuse it. */
function baseOf(profile: ProfileInput | undefined, plugins: readonly Plugin[]): KernelBase {
  if (profile === undefined) return '4.12';
  if (typeof profile === 'string') {
    const defs = [...CORE_PROFILES];
    for (const p of plugins) if (typeof p === 'object' && p !== null) defs.push(...(p.profiles ?? []));
    return defs.find((d) => d.name === profile)?.base ?? '4.12';
  }
  return typeof profile === 'object' && profile !== null && isKernelBase(profile.base) ? profile.base : '4.12';
}

/** One representative device per bus; on i2c an adapter (at the lowest free number) and a client on it. */
function defaultDevices(kernel: Kernel, bus: string): DeviceSpec[] {
  switch (bus) {
    case 'platform':
      return [{ bus: 'platform', name: 'sim-audit' }];
    case 'pci':
      return [{ bus: 'pci', address: '0000:00:1f.6', vendor: 0x8086, device: 0x15b7, class: 0x020000 }];
    case 'i2c': {
      const used = new Set(
        kernel
          .bus('i2c')
          .devices()
          .filter(isI2cAdapter)
          .map((a) => a.nr),
      );
      let nr = 0;
      while (used.has(nr)) nr++;
      return [
        { bus: 'i2c', kind: 'adapter', name: 'sim-audit adapter', nr },
        { bus: 'i2c', kind: 'client', name: 'sim-audit', adapter: nr, addr: 0x50 },
      ];
    }
    default:
      return [{ bus, name: 'sim-audit' }];
  }
}

/** The id table that makes a driver match this device, or null for a device no driver binds (an i2c adapter). */
function idsFor(kernel: Kernel, name: string, bus: string): DriverSpec['ids'] | null | undefined {
  const dev = kernel.device(name, bus);
  if (dev === undefined || isI2cAdapter(dev)) return null;
  if (isPciDevice(dev)) return [{ vendor: dev.vendor, device: dev.device }];
  if (isPlatformDevice(dev)) return [dev.pdevName];
  if (isI2cClient(dev)) return [dev.clientName];
  return undefined; // a bus of the user's own: its match decides
}

/**
 * A device's life through the driver core's real callers: ADD_DEVICE; BIND_DRIVER and DRIVER_NOT_BOUND (a probe
 * that fails); BIND_DRIVER and BOUND_DRIVER, then UNBIND_DRIVER and UNBOUND_DRIVER; DEL_DEVICE and REMOVED_DEVICE.
 */
function lifecycle(kernel: Kernel, bus: string, specs: readonly DeviceSpec[]): void {
  const added: string[] = [];
  for (const spec of specs) {
    const before = new Set(
      kernel
        .bus(bus)
        .devices()
        .map((d) => d.name),
    );
    if (kernel.addDevice(spec) === null) return;
    for (const d of kernel.bus(bus).devices()) if (!before.has(d.name)) added.push(d.name);
  }
  for (const name of added) {
    const ids = idsFor(kernel, name, bus);
    if (ids === null) continue;
    for (const [driver, probe] of [
      ['sim-audit-fails', { errno: -ENODEV }],
      ['sim-audit', 'ok'],
    ] as const) {
      const spec: DriverSpec = ids === undefined ? { name: driver, bus, probe } : { name: driver, bus, ids, probe };
      if (kernel.registerDriver(spec) === null) return;
      if (kernel.unregisterDriver(driver, bus) === null) return;
    }
  }
  for (const name of [...added].reverse()) {
    if (kernel.device(name, bus) !== undefined && kernel.removeDevice(name, bus) === null) return;
  }
}
