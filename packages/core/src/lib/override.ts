import { EINVAL } from '../constants/errno.ts';
import { PAGE_SIZE } from '../fs/sysfs.ts';

/**
 * Models driver_override_store() of drivers/pci/pci-sysfs.c and drivers/base/platform.c (identical in v4.12):
 * -EINVAL for PAGE_SIZE - 1 bytes or more; the text up to the first newline; empty clears the override.
 */
export function driverOverrideStore(dev: { driverOverride: string | null }, buf: string, count: number): number {
  if (count >= PAGE_SIZE - 1) return -EINVAL;
  const nl = buf.indexOf('\n');
  const value = nl === -1 ? buf : buf.slice(0, nl);
  dev.driverOverride = value === '' ? null : value;
  return count;
}

/** Models driver_override_show(): the value and a newline, "(null)" when unset (printf of a NULL string). */
export function driverOverrideShow(dev: { driverOverride: string | null }): string {
  return `${dev.driverOverride ?? '(null)'}\n`;
}
