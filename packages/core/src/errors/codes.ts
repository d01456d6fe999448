/**
 * The one table of sim's misuse error codes. Kernel failures are never here: they are return values (a negative
 * errno, NOTIFY_BAD). These codes are for a TypeScript caller using the API wrongly; each entry says when it is
 * thrown. docs/errors.md lists them all and a test keeps the two in step.
 */
export const SIM_ERROR_CODES = {
  SIM_ERR_NOTIFIER_BAD_BLOCK: 'A notifier block is not an object.',
  SIM_ERR_NOTIFIER_MISSING_NAME: 'A notifier block has no name (every registration is named).',
  SIM_ERR_NOTIFIER_BAD_CALLBACK: "A notifier block's notifierCall is not a function.",
  SIM_ERR_NOTIFIER_BAD_PRIORITY: "A notifier block's priority is not a 32-bit integer.",
  SIM_ERR_NOTIFIER_UNKNOWN_KIND: 'A chain kind other than atomic, blocking, raw or srcu was asked for.',
  SIM_ERR_NOTIFIER_BAD_ACTION: 'A chain was called with an action that is not an unsigned 32-bit integer.',
  SIM_ERR_NOTIFIER_BAD_NR_TO_CALL: 'nr_to_call is not an integer, or nr_calls is not a { count } counter.',
  SIM_ERR_NOTIFIER_BAD_RETURN: 'A notifier callback returned something other than a 32-bit integer.',
  SIM_ERR_NOTIFIER_BAD_OBSERVER: 'An observer passed to observe() is not an object of optional hook functions.',
  SIM_ERR_NOTIFIER_BAD_NAME: 'A chain was created without a name.',
  SIM_ERR_NOTIFIER_BAD_OPTION: 'A chain option (maxDepth, compileAfter) is out of range.',
} as const;

/**
 * Every code a SimError may carry. Plugin packages add theirs by declaration merging, and list them in
 * docs/errors.md too:
 *
 * ```ts
 * declare module '@sim/core' {
 *   interface SimErrorCodes { SIM_ERR_VFIO_BAD_OPTION: true }
 * }
 * ```
 */
export interface SimErrorCodes extends Record<keyof typeof SIM_ERROR_CODES, true> {}

/** A stable sim error code. */
export type SimErrorCode = keyof SimErrorCodes;
