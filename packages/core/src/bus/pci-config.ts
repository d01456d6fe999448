/**
 * What a PCI function looks like to tools that read /sys as a kernel's (lspci, driverctl, dpdk-devbind): its
 * configuration space, revision, irq, resource and modalias attributes, as drivers/pci/pci-sysfs.c shows them
 * (the same in v4.12 and 6.12). The values a device spec can give beyond ids and class (revision, irq, pcie) are
 * kept here, beside the pci_dev, so that the bus code stays as it was.
 */
import type { PciDev } from '../base/device.ts';
import { attr, type FileNode } from '../fs/kernfs.ts';
import { checkInt } from './spec.ts';

/** PCI_CFG_SPACE_SIZE and PCI_CFG_SPACE_EXP_SIZE, include/uapi/linux/pci_regs.h. */
export const PCI_CFG_SPACE_SIZE = 256;
export const PCI_CFG_SPACE_EXP_SIZE = 4096;

// Offsets and bits of include/uapi/linux/pci_regs.h.
const PCI_VENDOR_ID = 0x00;
const PCI_DEVICE_ID = 0x02;
const PCI_STATUS = 0x06;
const PCI_STATUS_CAP_LIST = 0x10;
const PCI_CLASS_REVISION = 0x08;
const PCI_CLASS_PROG = 0x09;
const PCI_HEADER_TYPE = 0x0e;
const PCI_PRIMARY_BUS = 0x18;
const PCI_SECONDARY_BUS = 0x19;
const PCI_SUBORDINATE_BUS = 0x1a;
const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
const PCI_SUBSYSTEM_ID = 0x2e;
const PCI_CAPABILITY_LIST = 0x34;
const PCI_INTERRUPT_LINE = 0x3c;
const PCI_INTERRUPT_PIN = 0x3d;
const PCI_CAP_ID_EXP = 0x10;
const PCI_EXP_FLAGS = 2;
const PCI_EXP_TYPE_ENDPOINT = 0x0;
const PCI_EXP_TYPE_ROOT_PORT = 0x4;
const PCI_EXP_TYPE_DOWNSTREAM = 0x6;
const PCI_EXP_TYPE_RC_END = 0x9;
const PCI_HEADER_TYPE_BRIDGE = 1;
/** Where sim puts the PCI Express capability (the first offset after the standard header). */
const EXP_CAP_AT = 0x40;

/** PCI_NUM_RESOURCES and PCI_BRIDGE_RESOURCES, include/linux/pci.h, with CONFIG_PCI_IOV=y (Debian's config). */
const PCI_BRIDGE_RESOURCES = 13;
const PCI_NUM_RESOURCES = 17;

/** The hardware facts of a function that the driver model does not keep. */
export interface PciHw {
  /** Revision id (config byte 0x08). */
  readonly revision: number;
  /** pci_dev->irq: the Linux irq number (0: none). */
  readonly irq: number;
  /** A PCI Express function: 4096 bytes of config space and a PCI Express capability. */
  readonly pcie: boolean;
}

const DEFAULT_HW: PciHw = Object.freeze({ revision: 0, irq: 0, pcie: false });
const hwOf = new WeakMap<PciDev, PciHw>();

/** Checks a device spec's `revision`, `irq` and `pcie` (a SimError naming the field for a bad one). */
export function checkPciHw(spec: Record<string, unknown>, address: string): PciHw {
  const P = 'PCI device ';
  const revision = checkInt(spec.revision ?? 0, 0, 0xff, address, 'revision', P);
  const irq = checkInt(spec.irq ?? 0, 0, 0xffffffff, address, 'irq', P);
  const raw = spec.pcie ?? false;
  if (typeof raw !== 'boolean') checkInt(raw, 2, 1, address, 'pcie (true or false)', P);
  const pcie = raw === true;
  return revision === 0 && irq === 0 && pcie === false ? DEFAULT_HW : Object.freeze({ revision, irq, pcie });
}

/** Keeps a function's hardware facts (from its spec, or from the pci_dev a rescan replaces). */
export function setPciHw(dev: PciDev, hw: PciHw): void {
  if (hw !== DEFAULT_HW) hwOf.set(dev, hw);
}

/** A function's hardware facts. */
export function pciHw(dev: PciDev): PciHw {
  return hwOf.get(dev) ?? DEFAULT_HW;
}

/** The PCI functions directly behind a bridge. */
function pciChildren(dev: PciDev): PciDev[] {
  return dev.children === null ? [] : ([...dev.children.values()].filter((c) => c.kind === 'pci') as PciDev[]);
}

/**
 * A bridge's secondary and subordinate bus numbers: the bus its functions sit on and the highest bus below it.
 * A bridge with nothing behind it gets the bus after the highest one its domain uses (as firmware numbers an
 * empty port), which keeps `lspci -t` a tree.
 */
export function bridgeBuses(dev: PciDev): { secondary: number; subordinate: number } {
  const kids = pciChildren(dev);
  if (kids.length === 0) {
    let top = dev.busNr;
    for (const d of dev.bus.devicesByName.values()) {
      const p = d as PciDev;
      if (p.domain === dev.domain && p.busNr > top) top = p.busNr;
    }
    const n = Math.min(top + 1, 0xff);
    return { secondary: n, subordinate: n };
  }
  let secondary = 0xff;
  let subordinate = 0;
  const walk = (d: PciDev) => {
    for (const c of pciChildren(d)) {
      if (c.busNr > subordinate) subordinate = c.busNr;
      walk(c);
    }
  };
  for (const c of kids) if (c.busNr < secondary) secondary = c.busNr;
  walk(dev);
  return { secondary, subordinate };
}

/** The PCI Express port type of a function (PCI_EXP_FLAGS_TYPE). */
function expressType(dev: PciDev): number {
  const bridge = (dev.hdrType & 0x7f) === PCI_HEADER_TYPE_BRIDGE;
  if (bridge) return dev.parentAddress === null ? PCI_EXP_TYPE_ROOT_PORT : PCI_EXP_TYPE_DOWNSTREAM;
  return dev.parentAddress === null ? PCI_EXP_TYPE_RC_END : PCI_EXP_TYPE_ENDPOINT;
}

/**
 * The function's configuration space as the `config` attribute reads (pci_read_config(), drivers/pci/pci-sysfs.c,
 * for a reader with CAP_SYS_ADMIN): the standard header from the ids, class, revision, header type and
 * subsystem ids, a bridge's bus numbers, the interrupt line and pin, and for a PCIe function a PCI Express
 * capability (version 2) at 0x40. 256 bytes, 4096 for PCIe. Registers the model has no value for read 0.
 */
export function pciConfigSpace(dev: PciDev): Uint8Array {
  const hw = pciHw(dev);
  const buf = new Uint8Array(hw.pcie ? PCI_CFG_SPACE_EXP_SIZE : PCI_CFG_SPACE_SIZE);
  const v = new DataView(buf.buffer);
  v.setUint16(PCI_VENDOR_ID, dev.vendor, true);
  v.setUint16(PCI_DEVICE_ID, dev.device, true);
  buf[PCI_CLASS_REVISION] = hw.revision;
  buf[PCI_CLASS_PROG] = dev.class & 0xff;
  buf[PCI_CLASS_PROG + 1] = (dev.class >> 8) & 0xff;
  buf[PCI_CLASS_PROG + 2] = (dev.class >> 16) & 0xff;
  buf[PCI_HEADER_TYPE] = dev.hdrType;
  if ((dev.hdrType & 0x7f) === PCI_HEADER_TYPE_BRIDGE) {
    const { secondary, subordinate } = bridgeBuses(dev);
    buf[PCI_PRIMARY_BUS] = dev.busNr;
    buf[PCI_SECONDARY_BUS] = secondary;
    buf[PCI_SUBORDINATE_BUS] = subordinate;
  } else {
    v.setUint16(PCI_SUBSYSTEM_VENDOR_ID, dev.subsystemVendor, true);
    v.setUint16(PCI_SUBSYSTEM_ID, dev.subsystemDevice, true);
  }
  if (hw.irq !== 0) {
    buf[PCI_INTERRUPT_LINE] = hw.irq & 0xff;
    buf[PCI_INTERRUPT_PIN] = 1;
  }
  if (hw.pcie) {
    v.setUint16(PCI_STATUS, PCI_STATUS_CAP_LIST, true);
    buf[PCI_CAPABILITY_LIST] = EXP_CAP_AT;
    buf[EXP_CAP_AT] = PCI_CAP_ID_EXP;
    buf[EXP_CAP_AT + 1] = 0;
    v.setUint16(EXP_CAP_AT + PCI_EXP_FLAGS, 2 | (expressType(dev) << 4), true);
  }
  return buf;
}

const HEX = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');
const hex16 = (n: number) => `0x${n.toString(16).padStart(16, '0')}`;

/** Models modalias_show(), drivers/pci/pci-sysfs.c. */
export function pciModalias(dev: PciDev): string {
  const c = dev.class;
  return `pci:v${HEX(dev.vendor, 8)}d${HEX(dev.device, 8)}sv${HEX(dev.subsystemVendor, 8)}sd${HEX(dev.subsystemDevice, 8)}bc${HEX(c >> 16, 2)}sc${HEX((c >> 8) & 0xff, 2)}i${HEX(c & 0xff, 2)}\n`;
}

/**
 * Models resource_show(), drivers/pci/pci-sysfs.c: one line per resource (start, end, flags), the bridge windows
 * too for a bridge. sim assigns no BARs, so every line is zero, as for a function whose BARs are unassigned.
 */
export function pciResource(dev: PciDev): string {
  const bridge = (dev.hdrType & 0x7f) === PCI_HEADER_TYPE_BRIDGE;
  const line = `${hex16(0)} ${hex16(0)} ${hex16(0)}\n`;
  return line.repeat(bridge ? PCI_NUM_RESOURCES : PCI_BRIDGE_RESOURCES);
}

/** The attributes of pci_dev_attrs and pci_config_attr / pcie_config_attr that real tools read. */
export function pciHwAttrs(dev: PciDev): Record<string, FileNode> {
  const hw = () => pciHw(dev);
  return {
    revision: attr(0o444, () => `0x${hw().revision.toString(16).padStart(2, '0')}\n`),
    irq: attr(0o444, () => `${hw().irq}\n`),
    resource: attr(0o444, () => pciResource(dev)),
    modalias: attr(0o444, () => pciModalias(dev)),
    config: {
      kind: 'file',
      mode: 0o644,
      bytes: () => pciConfigSpace(dev),
      size: hw().pcie ? PCI_CFG_SPACE_EXP_SIZE : PCI_CFG_SPACE_SIZE,
    },
  };
}
