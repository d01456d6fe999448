import { NotifierHead } from './chain.ts';
import type { NotifierBlock, Registration } from './notifier-block.ts';

/**
 * Models struct srcu_notifier_head, include/linux/notifier.h: callbacks run under srcu_read_lock and may sleep;
 * registration takes a mutex the callers do not hold (allowed from inside a call), unregistration then waits for
 * SRCU readers (a deadlock from inside a call).
 */
export class SrcuNotifierHead<D = unknown> extends NotifierHead<D> {
  readonly kind = 'srcu' as const;
  protected readonly forbidsSleep = false;

  /** Models srcu_notifier_chain_register(), kernel/notifier.c. */
  register(nb: NotifierBlock<D>): Registration {
    return this.chainRegister(nb, false);
  }

  /** Models srcu_notifier_chain_unregister(), kernel/notifier.c (synchronize_srcu() skipped while booting). */
  unregister(nb: NotifierBlock<D>): number {
    return this.chainUnregister(nb, this.isBooting() ? null : 'illegal-synchronize');
  }
}
