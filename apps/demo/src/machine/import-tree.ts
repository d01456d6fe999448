import { closeSync, existsSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

/** A PCI function as read from a /sys tree. */
export interface ImportedPciDevice {
  readonly address: string;
  readonly vendor: number;
  readonly device: number;
  readonly subsystemVendor: number;
  readonly subsystemDevice: number;
  readonly class: number;
  readonly revision: number;
  readonly irq: number;
  readonly hdrType: number;
  readonly pcie: boolean;
  /** The bridge it sits behind (from the nesting of its directory), or null on a root bus. */
  readonly parent: string | null;
  readonly iommuGroup: number | null;
  /** The driver bound now (basename of the `driver` link), or null. */
  readonly driver: string | null;
  /** driver_override, or null for "(null)". */
  readonly driverOverride: string | null;
}

/** A machine's PCI layout. */
export interface ImportedMachine {
  readonly root: string;
  /** Parents before children, each level in address order (discovery order). */
  readonly devices: readonly ImportedPciDevice[];
  /** The release of the running kernel when the root is the live /sys, else null. */
  readonly release: string | null;
}

const ADDRESS = /^[0-9a-f]{4}:[0-9a-f]{2}:[01][0-9a-f]\.[0-7]$/;

/** An import problem: the path and what is wrong, for the user to fix. */
export class ImportError extends Error {}

/** The most an attribute can hold (PCIe config space); a longer file is not an attribute. */
const MAX_ATTR = 4096;

/**
 * The bytes of an attribute file, or null when it is missing or unreadable. A FIFO, a device or a directory is
 * refused (reading one could block forever), and at most MAX_ATTR bytes are read.
 */
function readAttr(path: string): Buffer | null {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    return null;
  }
  if (!st.isFile())
    throw new ImportError(`${path} is not a regular file (sysfs attributes are); remove it or give another tree`);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const buf = Buffer.alloc(MAX_ATTR + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    if (n > MAX_ATTR) throw new ImportError(`${path} holds more than ${MAX_ATTR} bytes; no PCI attribute does`);
    return buf.subarray(0, n);
  } catch (e) {
    if (e instanceof ImportError) throw e;
    return null;
  } finally {
    closeSync(fd);
  }
}

const NAME = /^[A-Za-z0-9_.:+-]{1,64}$/;

/** A driver's name from its link: what a kernel driver can be called, else an ImportError. */
function driverName(path: string): string | null {
  const name = linkBase(path);
  if (name !== null && !NAME.test(name)) {
    throw new ImportError(`${path} points to a driver called ${JSON.stringify(name)}, not a kernel driver's name`);
  }
  return name;
}

function readHex(path: string, max: number, optional: number | null = null): number {
  const raw = readAttr(path);
  if (raw === null) {
    if (optional !== null) return optional;
    throw new ImportError(`cannot read ${path}`);
  }
  const text = raw.toString('latin1').trim();
  if (!/^0x[0-9a-fA-F]+$/.test(text) || Number(text) > max) {
    throw new ImportError(`${path} holds '${text.slice(0, 40)}', not a hex number up to 0x${max.toString(16)}`);
  }
  return Number(text);
}

function linkBase(path: string): string | null {
  try {
    return basename(readlinkSync(path));
  } catch {
    return null;
  }
}

/**
 * Reads the PCI functions of a /sys tree (the live /sys, a `sim export`, or a capture with the same layout): ids,
 * class, revision, irq, header type and PCIe (from `config` when it can be read, else from the class and size),
 * topology (from where each device's directory sits), IOMMU group, driver and driver_override.
 */
export function importTree(root: string): ImportedMachine {
  const devicesDir = join(root, 'bus', 'pci', 'devices');
  if (!existsSync(devicesDir)) {
    throw new ImportError(
      `${devicesDir} does not exist; give /sys or a directory written by sim export (or by the capture command in apps/demo/README.md)`,
    );
  }
  const found: ImportedPciDevice[] = [];
  for (const address of readdirSync(devicesDir).sort()) {
    if (!ADDRESS.test(address)) throw new ImportError(`${devicesDir}/${address} is not a PCI address`);
    const at = join(devicesDir, address);
    let target: string;
    try {
      target = readlinkSync(at);
    } catch {
      throw new ImportError(`${at} is not a symlink to the device's directory, as sysfs has it`);
    }
    const parts = target.split('/');
    const up = parts.at(-2) ?? '';
    const parent = ADDRESS.test(up) ? up : null;
    const cls = readHex(join(at, 'class'), 0xffffff);
    const config = readAttr(join(at, 'config'));
    const bridgeByClass = cls >> 8 === 0x0604 ? 1 : 0;
    const hdrType = config !== null && config.length > 0x0e ? config[0x0e]! & 0x7f : bridgeByClass;
    const pcie = config !== null ? config.length > 256 : false;
    const irqText = readAttr(join(at, 'irq'))?.toString('latin1').trim() ?? '0';
    const irq = /^\d{1,10}$/.test(irqText) && Number(irqText) <= 0xffffffff ? Number(irqText) : 0;
    const group = linkBase(join(at, 'iommu_group'));
    const overrideText = readAttr(join(at, 'driver_override'))?.toString('latin1').replace(/\n$/, '') ?? '';
    const override = overrideText === '(null)' || overrideText === '' ? null : overrideText;
    if (override !== null && !NAME.test(override)) {
      throw new ImportError(`${join(at, 'driver_override')} holds ${JSON.stringify(override)}, not a driver's name`);
    }
    found.push({
      address,
      vendor: readHex(join(at, 'vendor'), 0xffff),
      device: readHex(join(at, 'device'), 0xffff),
      subsystemVendor: readHex(join(at, 'subsystem_vendor'), 0xffff, 0),
      subsystemDevice: readHex(join(at, 'subsystem_device'), 0xffff, 0),
      class: cls,
      revision: readHex(join(at, 'revision'), 0xff, config !== null && config.length > 8 ? config[8]! : 0),
      irq,
      hdrType,
      pcie,
      parent,
      iommuGroup: group !== null && /^\d+$/.test(group) ? Number(group) : null,
      driver: driverName(join(at, 'driver')),
      driverOverride: override,
    });
  }
  // Parents first: depth-first from the root buses, in address order at each level.
  const byParent = new Map<string | null, ImportedPciDevice[]>();
  for (const d of found) {
    const key = d.parent !== null && found.some((x) => x.address === d.parent) ? d.parent : null;
    byParent.set(key, [...(byParent.get(key) ?? []), key === d.parent ? d : { ...d, parent: null }]);
  }
  const ordered: ImportedPciDevice[] = [];
  const visit = (p: string | null) => {
    for (const d of byParent.get(p) ?? []) {
      ordered.push(d);
      visit(d.address);
    }
  };
  visit(null);
  let release: string | null = null;
  try {
    if (statSync(root).ino === statSync('/sys').ino && existsSync('/proc/sys/kernel/osrelease')) {
      release = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
    }
  } catch {
    release = null;
  }
  return { root, devices: ordered, release };
}

const h = (n: number, w: number) => `0x${n.toString(16).padStart(w, '0')}`;

/** The profile closest to a kernel release: v6.12 for 5.x and later, v4.12 before. */
export function profileFor(release: string | null): string {
  const major = release === null ? 6 : Number(/^(\d+)/.exec(release)?.[1] ?? 6);
  return major >= 5 ? 'v6.12' : 'v4.12';
}

/** A driver as the scenario declares it: its name and the ids of the devices bound to it now. */
interface DriverOut {
  readonly name: string;
  readonly ids: { vendor: number; device: number; subvendor: number; subdevice: number }[];
}

const sameIds = (
  d: ImportedPciDevice,
  id: { vendor: number; device: number; subvendor: number; subdevice: number },
): boolean =>
  d.vendor === id.vendor &&
  d.device === id.device &&
  d.subsystemVendor === id.subvendor &&
  d.subsystemDevice === id.subdevice;

/**
 * The machine as a scenario file: its PCI functions (ids, class, revision, irq, header type, PCIe, topology,
 * IOMMU group), a driver for each driver bound now that matches exactly the ids of its devices, and steps that
 * set each driver_override and unbind a device its driver's ids would otherwise take. Data only.
 */
export function machineYaml(m: ImportedMachine, source: string): string {
  const drivers: DriverOut[] = [];
  for (const d of m.devices) {
    if (d.driver === null) continue;
    let drv = drivers.find((x) => x.name === d.driver);
    if (drv === undefined) {
      drv = { name: d.driver, ids: [] };
      drivers.push(drv);
    }
    const id = { vendor: d.vendor, device: d.device, subvendor: d.subsystemVendor, subdevice: d.subsystemDevice };
    if (!drv.ids.some((x) => sameIds(d, x))) drv.ids.push(id);
  }
  const groups = m.devices.some((d) => d.iommuGroup !== null);
  const profile = profileFor(m.release);
  const lines: string[] = [];
  lines.push(`# Written by sim import from ${source}${m.release === null ? '' : ` (Linux ${m.release})`}.`);
  lines.push('description: >-');
  lines.push(
    `  The PCI layout of a real machine, read from ${source}: ${m.devices.length} functions${drivers.length > 0 ? `, the drivers bound at import (${drivers.map((x) => x.name).join(', ')}) as drivers matching exactly their devices` : ''}.`,
  );
  lines.push(`profile: ${profile}`);
  if (groups) lines.push('plugins: [iommu-group]');
  lines.push('topology:');
  lines.push(m.devices.length === 0 ? '  devices: []' : '  devices:');
  for (const d of m.devices) {
    const f = ['bus: pci', `address: "${d.address}"`, `vendor: ${h(d.vendor, 4)}`, `device: ${h(d.device, 4)}`];
    if (d.subsystemVendor !== 0) f.push(`subsystemVendor: ${h(d.subsystemVendor, 4)}`);
    if (d.subsystemDevice !== 0) f.push(`subsystemDevice: ${h(d.subsystemDevice, 4)}`);
    f.push(`class: ${h(d.class, 6)}`);
    if (d.revision !== 0) f.push(`revision: ${h(d.revision, 2)}`);
    if (d.hdrType !== 0) f.push(`hdrType: ${d.hdrType}`);
    if (d.irq !== 0) f.push(`irq: ${d.irq}`);
    if (d.pcie) f.push('pcie: true');
    if (d.parent !== null) f.push(`parent: "${d.parent}"`);
    if (d.iommuGroup !== null) f.push(`iommuGroup: ${d.iommuGroup}`);
    lines.push(`    - { ${f.join(', ')} }`);
  }
  if (drivers.length > 0) {
    lines.push('  drivers:');
    for (const drv of drivers) {
      const ids = drv.ids.map(
        (i) =>
          `{ vendor: ${h(i.vendor, 4)}, device: ${h(i.device, 4)}, subvendor: ${h(i.subvendor, 4)}, subdevice: ${h(i.subdevice, 4)} }`,
      );
      lines.push(`    - { name: ${JSON.stringify(drv.name)}, bus: pci, ids: [${ids.join(', ')}] }`);
    }
  }
  const steps: string[] = [];
  for (const d of m.devices) {
    // A device its driver's ids would take at boot though it is not bound to it now: unbind it after the boot.
    const taker = drivers.find((drv) => drv.ids.some((id) => sameIds(d, id)));
    if (taker !== undefined && taker.name !== d.driver) {
      steps.push(`echo ${d.address} > /sys/bus/pci/drivers/${taker.name}/unbind`);
      if (d.driver !== null) steps.push(`echo ${d.address} > /sys/bus/pci/drivers/${d.driver}/bind`);
    }
  }
  for (const d of m.devices) {
    if (d.driverOverride !== null) {
      steps.push(`echo ${d.driverOverride} > /sys/bus/pci/devices/${d.address}/driver_override`);
    }
  }
  // A scenario has at least one step: with nothing to set, one that lists the functions.
  if (steps.length === 0) steps.push('ls /sys/bus/pci/devices');
  lines.push('steps:');
  for (const s of steps) lines.push(`  - ${JSON.stringify(s)}`);
  if (drivers.length > 0 || m.devices.length > 0) {
    lines.push('expect:');
    lines.push('  drivers:');
    for (const d of m.devices)
      lines.push(`    "${d.address}": ${d.driver === null ? 'null' : JSON.stringify(d.driver)}`);
  }
  return `${lines.join('\n')}\n`;
}
