import { NotifierHead } from './chain.ts';
import type { NotifierBlock, Registration } from './notifier-block.ts';

/**
 * Models struct blocking_notifier_head, include/linux/notifier.h: callbacks run in process context under the
 * head's rwsem held for reading; (un)registration takes it for writing, so doing that from inside a call of the
 * same chain deadlocks (except while booting, when v4.12 skips the lock).
 */
export class BlockingNotifierHead<D = unknown> extends NotifierHead<D> {
  readonly kind = 'blocking' as const;
  protected readonly forbidsSleep = false;

  /** Models blocking_notifier_chain_register(), kernel/notifier.c. */
  register(nb: NotifierBlock<D>): Registration {
    return this.chainRegister(nb, !this.isBooting());
  }

  /** Models blocking_notifier_chain_cond_register(), kernel/notifier.c (always takes the lock, even while booting). */
  condRegister(nb: NotifierBlock<D>): Registration {
    return this.chainCondRegister(nb, true);
  }

  /** Models blocking_notifier_chain_unregister(), kernel/notifier.c. */
  unregister(nb: NotifierBlock<D>): number {
    return this.chainUnregister(nb, this.isBooting() ? null : 'recursive-locking');
  }
}
