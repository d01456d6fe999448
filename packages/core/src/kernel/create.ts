import type { Kernel, KernelOptions } from './kernel.ts';
import { KernelImpl } from './kernel-impl.ts';

/**
 * Creates a simulated kernel: the platform, PCI and i2c buses registered, the given plugins set up, running the
 * given profile (default 'v4.12'). Kernels are independent of each other.
 */
export function createKernel(options?: KernelOptions): Kernel {
  return new KernelImpl(options);
}
