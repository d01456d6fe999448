import { SimError, show } from '../errors/sim-error.ts';
import { AtomicNotifierHead } from './atomic.ts';
import { BlockingNotifierHead } from './blocking.ts';
import type { ChainOptions } from './chain.ts';
import type { ChainKind } from './notifier-block.ts';
import { RawNotifierHead } from './raw.ts';
import { SrcuNotifierHead } from './srcu.ts';

/** The head class for each chain kind. */
export interface ChainByKind<D> {
  atomic: AtomicNotifierHead<D>;
  blocking: BlockingNotifierHead<D>;
  raw: RawNotifierHead<D>;
  srcu: SrcuNotifierHead<D>;
}

/**
 * Creates an empty chain of the given kind, as ATOMIC_NOTIFIER_HEAD() and friends (or srcu_init_notifier_head())
 * do in the kernel. Throws SIM_ERR_NOTIFIER_UNKNOWN_KIND for any other kind.
 */
export function createNotifierChain<K extends ChainKind, D = unknown>(
  kind: K,
  name: string,
  options?: ChainOptions,
): ChainByKind<D>[K] {
  switch (kind) {
    case 'atomic':
      return new AtomicNotifierHead<D>(name, options) as ChainByKind<D>[K];
    case 'blocking':
      return new BlockingNotifierHead<D>(name, options) as ChainByKind<D>[K];
    case 'raw':
      return new RawNotifierHead<D>(name, options) as ChainByKind<D>[K];
    case 'srcu':
      return new SrcuNotifierHead<D>(name, options) as ChainByKind<D>[K];
    default:
      throw new SimError(
        'SIM_ERR_NOTIFIER_UNKNOWN_KIND',
        `unknown notifier chain kind ${show(kind)}; use one of 'atomic', 'blocking', 'raw', 'srcu'`,
      );
  }
}
