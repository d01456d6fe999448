import type { OfNode } from '../base/device.ts';
import { SimError, show } from '../errors/sim-error.ts';

/** A device or driver name as sysfs can hold it: non-empty, no '/', no newline. */
export function checkName(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '' || /[/\n\0]/.test(value) || value === '.' || value === '..') {
    throw new SimError(
      'SIM_ERR_DEVICE_BAD_SPEC',
      `${what} ${show(value)} is not usable; give a non-empty name without '/' or newlines`,
    );
  }
  return value;
}

/** An optional device-tree node: { compatible: string[] }. */
export function checkOfNode(value: unknown, device: string): OfNode | null {
  if (value === undefined || value === null) return null;
  const compatible = (value as { compatible?: unknown }).compatible;
  if (typeof value !== 'object' || !Array.isArray(compatible) || compatible.some((c) => typeof c !== 'string')) {
    throw new SimError(
      'SIM_ERR_DEVICE_BAD_SPEC',
      `device '${device}': ofNode must be { compatible: ['vendor,model', ...] }, got ${show(value)}`,
    );
  }
  return { compatible: [...compatible] };
}

/** Optional properties: a plain object. */
export function checkProps(value: unknown, device: string): Readonly<Record<string, unknown>> {
  if (value === undefined) return EMPTY;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SimError('SIM_ERR_DEVICE_BAD_SPEC', `device '${device}': props must be an object, got ${show(value)}`);
  }
  return Object.freeze({ ...(value as Record<string, unknown>) });
}

/** An integer in [min, max]; the message (`where: field`) is only built for a bad value. */
export function checkInt(value: unknown, min: number, max: number, where: string, field: string, prefix = ''): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw new SimError(
      'SIM_ERR_DEVICE_BAD_SPEC',
      `${prefix}${where}: ${field} must be an integer in [${min}, ${max}] (0x${min.toString(16)}..0x${max.toString(16)}), got ${show(value)}`,
    );
  }
  return value as number;
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});
