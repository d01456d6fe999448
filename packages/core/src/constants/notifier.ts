/**
 * Notifier return codes and the errno encoding of include/linux/notifier.h (v4.12).
 * A notifier callback may return any int; these are the values the kernel gives meaning to.
 */

/** Don't care. */
export const NOTIFY_DONE = 0x0000;
/** Suits me. */
export const NOTIFY_OK = 0x0001;
/** Don't call further: any return with this bit set ends the walk. */
export const NOTIFY_STOP_MASK = 0x8000;
/** Bad/Veto action (NOTIFY_STOP_MASK | 0x0002); notifierToErrno() maps it to -EPERM. */
export const NOTIFY_BAD = NOTIFY_STOP_MASK | 0x0002;
/** Clean way to return from the notifier and stop further calls (NOTIFY_OK | NOTIFY_STOP_MASK). */
export const NOTIFY_STOP = NOTIFY_OK | NOTIFY_STOP_MASK;

/** Models notifier_from_errno(), include/linux/notifier.h: 0 gives NOTIFY_OK, -e gives STOP_MASK | (1 + e). */
export function notifierFromErrno(err: number): number {
  if (err) return NOTIFY_STOP_MASK | (NOTIFY_OK - err) | 0;
  return NOTIFY_OK;
}

/**
 * Models notifier_to_errno(), include/linux/notifier.h: clears the stop bit of the 32-bit value and reads what is
 * left above NOTIFY_OK as an errno. A raw negative errno returned by a callback (e.g. -19) comes out as 0: lost.
 */
export function notifierToErrno(ret: number): number {
  const v = (ret & ~NOTIFY_STOP_MASK) | 0;
  return v > NOTIFY_OK ? NOTIFY_OK - v : 0;
}

/** True when a notifier return carries the stop bit, as notifier_call_chain() tests it (`ret & NOTIFY_STOP_MASK`). */
export function notifyStops(ret: number): boolean {
  return (ret & NOTIFY_STOP_MASK) !== 0;
}
