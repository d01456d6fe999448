import type { DeviceImpl } from './device.ts';

/**
 * A driver's klist_devices (include/linux/klist.h), intrusive as the kernel's: the links live in the device, so
 * binding a million devices allocates nothing. Order is bind order.
 */
export class DriverDevices {
  private head: DeviceImpl | null = null;
  private tail: DeviceImpl | null = null;
  size = 0;

  /** klist_add_tail(). */
  add(dev: DeviceImpl): void {
    dev.klistPrev = this.tail;
    dev.klistNext = null;
    if (this.tail === null) this.head = dev;
    else this.tail.klistNext = dev;
    this.tail = dev;
    this.size++;
  }

  /** klist_remove(); the device must be on this list (the caller checks isBound). */
  delete(dev: DeviceImpl): void {
    if (dev.klistPrev === null) this.head = dev.klistNext;
    else dev.klistPrev.klistNext = dev.klistNext;
    if (dev.klistNext === null) this.tail = dev.klistPrev;
    else dev.klistNext.klistPrev = dev.klistPrev;
    dev.klistPrev = null;
    dev.klistNext = null;
    this.size--;
  }

  /** The devices, first bound first (a snapshot: the list may change while the caller walks it). */
  toArray(): DeviceImpl[] {
    const out: DeviceImpl[] = [];
    for (let d = this.head; d !== null; d = d.klistNext) out.push(d);
    return out;
  }

  /** The last device bound, or null. */
  last(): DeviceImpl | null {
    return this.tail;
  }
}

/**
 * A bus's devices by name (bus_find_device_by_name() without the walk), in the order they were added (klist
 * order). `keyOf` lets a bus index by something cheaper than the name: PCI packs the address into an integer.
 */
export class DeviceIndex {
  private readonly map = new Map<string | number, DeviceImpl>();

  constructor(private readonly keyOf: (name: string) => string | number | undefined = (name) => name) {}

  get(name: string): DeviceImpl | undefined {
    const key = this.keyOf(name);
    return key === undefined ? undefined : this.map.get(key);
  }

  has(name: string): boolean {
    const key = this.keyOf(name);
    return key !== undefined && this.map.has(key);
  }

  set(name: string, dev: DeviceImpl): void {
    const key = this.keyOf(name);
    if (key === undefined) throw new Error(`device name ${name} has no index key`);
    this.map.set(key, dev);
  }

  delete(name: string): boolean {
    const key = this.keyOf(name);
    return key !== undefined && this.map.delete(key);
  }

  values(): IterableIterator<DeviceImpl> {
    return this.map.values();
  }

  /** The names, in order. */
  keys(): string[] {
    const out: string[] = [];
    for (const dev of this.map.values()) out.push(dev.name);
    return out;
  }

  get size(): number {
    return this.map.size;
  }
}
