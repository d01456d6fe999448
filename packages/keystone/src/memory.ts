/** Physical memory layout of TI Keystone 2, arch/arm/mach-keystone/memory.h (v4.12). */

/** DDR as seen through the 32-bit low alias. */
export const KEYSTONE_LOW_PHYS_START = 0x80000000;
/** 2 GiB. */
export const KEYSTONE_LOW_PHYS_SIZE = 0x80000000;
export const KEYSTONE_LOW_PHYS_END = KEYSTONE_LOW_PHYS_START + KEYSTONE_LOW_PHYS_SIZE - 1;

/** The same DDR through the 36-bit high alias (an LPAE kernel runs from here). */
export const KEYSTONE_HIGH_PHYS_START = 0x800000000;
/** 16 GiB. */
export const KEYSTONE_HIGH_PHYS_SIZE = 0x400000000;
export const KEYSTONE_HIGH_PHYS_END = KEYSTONE_HIGH_PHYS_START + KEYSTONE_HIGH_PHYS_SIZE - 1;

/** PAGE_SHIFT of the ARM kernels keystone runs (4 KiB pages). */
export const PAGE_SHIFT = 12;

/** Models PFN_DOWN(), include/linux/pfn.h: the page frame number holding a physical address. */
export function pfnDown(addr: number): number {
  return Math.floor(addr / 2 ** PAGE_SHIFT);
}
