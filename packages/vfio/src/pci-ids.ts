import { KERN_INFO, KERN_WARNING, type Kernel, PCI_ANY_ID } from '@sim/core';

/** One id of an `ids=` module parameter: vendor:device[:subvendor[:subdevice[:class[:class_mask]]]]. */
export interface ModuleParamId {
  readonly vendor: number;
  readonly device: number;
  readonly subvendor: number;
  readonly subdevice: number;
  readonly class: number;
  readonly classMask: number;
}

/** sscanf("%x:%x:%x:%x:%x:%x"): the fields read before the first that does not parse. */
function scanHexFields(text: string): number[] {
  const out: number[] = [];
  let rest = text;
  for (let i = 0; i < 6; i++) {
    const m = /^\s*(?:0[xX])?([0-9a-fA-F]+)/.exec(rest);
    if (m === null) break;
    out.push(Number.parseInt(m[1]!, 16) >>> 0);
    rest = rest.slice(m[0].length);
    if (i < 5) {
      if (!rest.startsWith(':')) break;
      rest = rest.slice(1);
    }
  }
  return out;
}

/**
 * Parses an `ids=` module parameter as vfio_pci_fill_ids() and pci_stub_init() do: comma-separated entries, empty
 * ones skipped; entries with fewer than two fields are reported (`invalid`) and skipped.
 */
export function parseModuleIds(ids: string): { ids: ModuleParamId[]; invalid: string[] } {
  const out: ModuleParamId[] = [];
  const invalid: string[] = [];
  for (const id of ids.split(',')) {
    if (id.length === 0) continue;
    const f = scanHexFields(id);
    if (f.length < 2) {
      invalid.push(id);
      continue;
    }
    out.push({
      vendor: f[0]!,
      device: f[1]!,
      subvendor: f[2] ?? PCI_ANY_ID,
      subdevice: f[3] ?? PCI_ANY_ID,
      class: f[4] ?? 0,
      classMask: f[5] ?? 0,
    });
  }
  return { ids: out, invalid };
}

/** printf's %x of an unsigned int. */
const x = (n: number, w = 0) => (n >>> 0).toString(16).padStart(w, '0');
/** printf's %#08x: "0x" and at least 8 characters in all, except 0, which has no prefix. */
const hash08x = (n: number) => (n === 0 ? '00000000' : `0x${x(n).padStart(6, '0')}`);

/**
 * Adds the ids with pci_add_dynid() (written to the driver's new_id file, which is pci_add_dynid() plus the checks
 * that pass for a NULL id table) and prints each driver's own lines.
 */
export function addModuleIds(kernel: Kernel, driver: 'vfio-pci' | 'pci-stub', text: string): void {
  const { ids, invalid } = parseModuleIds(text);
  const prefix = driver === 'vfio-pci' ? 'vfio_pci: ' : 'pci-stub: ';
  for (const bad of invalid) kernel.printk(KERN_WARNING, `${prefix}invalid id string "${bad}"`);
  for (const id of ids) {
    const line = `${x(id.vendor)} ${x(id.device)} ${x(id.subvendor)} ${x(id.subdevice)} ${x(id.class)} ${x(id.classMask)}`;
    if (driver === 'pci-stub') {
      const X = (n: number, w: number) => x(n, w).toUpperCase();
      kernel.printk(
        KERN_INFO,
        `pci-stub: add ${X(id.vendor, 4)}:${X(id.device, 4)} sub=${X(id.subvendor, 4)}:${X(id.subdevice, 4)} cls=${X(id.class, 8)}/${X(id.classMask, 8)}`,
      );
    }
    const rc = kernel.sysfs.write(`/sys/bus/pci/drivers/${driver}/new_id`, line);
    const ok = typeof rc === 'number' && rc > 0;
    const h = (n: number) => x(n & 0xffff, 4);
    if (driver === 'pci-stub') {
      if (!ok) kernel.printk(KERN_WARNING, `pci-stub: failed to add dynamic id (${rc})`);
    } else if (ok) {
      kernel.printk(
        KERN_INFO,
        `vfio_pci: add [${h(id.vendor)}:${h(id.device)}[${h(id.subvendor)}:${h(id.subdevice)}]] class ${hash08x(id.class)}/${x(id.classMask, 8)}`,
      );
    } else {
      kernel.printk(
        KERN_WARNING,
        `vfio_pci: failed to add dynamic id [${h(id.vendor)}:${h(id.device)}[${h(id.subvendor)}:${h(id.subdevice)}]] class ${hash08x(id.class)}/${x(id.classMask, 8)} (${rc})`,
      );
    }
  }
}
