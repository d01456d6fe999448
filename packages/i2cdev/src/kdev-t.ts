/** Device numbers of include/linux/kdev_t.h (v4.12). */

export const MINORBITS = 20;
/** (1 << MINORBITS) - 1 = 1048575. */
export const MINORMASK = (1 << MINORBITS) - 1;

/** Models MAJOR(), include/linux/kdev_t.h. */
export function major(dev: number): number {
  return dev >>> MINORBITS;
}

/** Models MINOR(), include/linux/kdev_t.h. */
export function minor(dev: number): number {
  return dev & MINORMASK;
}

/** Models MKDEV(), include/linux/kdev_t.h. */
export function mkdev(ma: number, mi: number): number {
  return ((ma << MINORBITS) | mi) >>> 0;
}

/** Models format_dev_t() without the newline: "major:minor", as a device's `dev` attribute shows it. */
export function formatDevT(dev: number): string {
  return `${major(dev)}:${minor(dev)}`;
}
