// The public surface of @sim/core. Everything a user or plugin may import is named here; nothing else is exported.

export * from './constants/bus-notify.ts';
export * from './constants/errno.ts';
export * from './constants/notifier.ts';
export { SIM_ERROR_CODES, type SimErrorCode, type SimErrorCodes } from './errors/codes.ts';
export { SimError } from './errors/sim-error.ts';
export { AtomicNotifierHead } from './notifier/atomic.ts';
export { BlockingNotifierHead } from './notifier/blocking.ts';
export { type ChainOptions, NotifierHead } from './notifier/chain.ts';
export { type ChainByKind, createNotifierChain } from './notifier/create.ts';
export {
  CHAIN_KINDS,
  type ChainKind,
  type ChainObserver,
  type NotifierBlock,
  type NotifierFn,
  type NrCalls,
  type Registration,
  type Splat,
  type SplatKind,
} from './notifier/notifier-block.ts';
export { RawNotifierHead } from './notifier/raw.ts';
export { SrcuNotifierHead } from './notifier/srcu.ts';
