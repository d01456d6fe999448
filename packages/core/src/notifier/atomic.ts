import { NotifierHead } from './chain.ts';
import type { NotifierBlock, Registration } from './notifier-block.ts';

/**
 * Models struct atomic_notifier_head, include/linux/notifier.h: callbacks run under rcu_read_lock and must not
 * sleep; registration takes a spinlock (allowed from inside a call), unregistration waits for RCU readers.
 */
export class AtomicNotifierHead<D = unknown> extends NotifierHead<D> {
  readonly kind = 'atomic' as const;
  protected readonly forbidsSleep = true;

  /** Models atomic_notifier_chain_register(), kernel/notifier.c. */
  register(nb: NotifierBlock<D>): Registration {
    return this.chainRegister(nb, false);
  }

  /** Models atomic_notifier_chain_unregister(), kernel/notifier.c (its synchronize_rcu() cannot run inside a call). */
  unregister(nb: NotifierBlock<D>): number {
    return this.chainUnregister(nb, 'illegal-synchronize');
  }
}
