// The public surface of @sim/keystone.

export { KEYSTONE_ERROR_CODES } from './errors.ts';
export {
  type DmaRangeMap,
  dmaRangeMap,
  KEYSTONE_MATCH,
  KEYSTONE_NOTIFIER_NAME,
  KEYSTONE_PLUGIN_NAME,
  type KeystoneOptions,
  type KeystoneState,
  keystonePlatformNotifier,
  keystonePlatformNotifierModern,
  keystonePlugin,
} from './keystone.ts';
export {
  KEYSTONE_HIGH_PHYS_END,
  KEYSTONE_HIGH_PHYS_SIZE,
  KEYSTONE_HIGH_PHYS_START,
  KEYSTONE_LOW_PHYS_END,
  KEYSTONE_LOW_PHYS_SIZE,
  KEYSTONE_LOW_PHYS_START,
  PAGE_SHIFT,
  pfnDown,
} from './memory.ts';
