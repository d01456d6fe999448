import { NotifierHead } from './chain.ts';
import type { NotifierBlock, Registration } from './notifier-block.ts';

/**
 * Models struct raw_notifier_head, include/linux/notifier.h: no locking at all, the caller provides it. A callback
 * may (un)register on its own chain; the walk follows the kernel's pointers (a block unlinked right after the
 * current one is still called in this pass, one linked right after it is not).
 */
export class RawNotifierHead<D = unknown> extends NotifierHead<D> {
  readonly kind = 'raw' as const;
  protected readonly forbidsSleep = false;

  /** Models raw_notifier_chain_register(), kernel/notifier.c. */
  register(nb: NotifierBlock<D>): Registration {
    return this.chainRegister(nb, false);
  }

  /** Models raw_notifier_chain_unregister(), kernel/notifier.c. */
  unregister(nb: NotifierBlock<D>): number {
    return this.chainUnregister(nb, null);
  }
}
