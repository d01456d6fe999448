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
  SIM_ERR_KERNEL_BAD_OPTION: 'createKernel() got an option of the wrong type or range.',
  SIM_ERR_KERNEL_DEAD: 'An operation was asked of a kernel that oopsed (BUG); a dead kernel runs nothing more.',
  SIM_ERR_KERNEL_CLOSED: 'An operation was asked of a kernel after close().',
  SIM_ERR_KERNEL_BAD_ARGUMENT:
    'A kernel API function (printk, withFrame, callChain, device(), dmesg, trace ...) got an argument of the wrong type.',
  SIM_ERR_PROFILE_UNKNOWN: 'A profile name that neither core nor a plugin defines.',
  SIM_ERR_PROFILE_UNKNOWN_FLAG: 'A flag that neither core nor a plugin defines.',
  SIM_ERR_PROFILE_UNKNOWN_BASE: "A profile's base kernel is not '4.12' or '6.12'.",
  SIM_ERR_PROFILE_FLAG_REFUSED:
    "A profile turns on a flag that makes no sense on its base kernel (the seed's flags on 6.12); the message says why.",
  SIM_ERR_PLUGIN_UNSUPPORTED_KERNEL:
    'A plugin was used on a base kernel it does not model (the notifier it models is gone there); the message says what changed and in which release.',
  SIM_ERR_PLUGIN_BAD: 'Something that is not a plugin was passed to use(), or a plugin redefines a flag or profile.',
  SIM_ERR_PLUGIN_DUPLICATE: 'A plugin with the same name is already in use on the kernel.',
  SIM_ERR_PLUGIN_DEPENDENCY: "A plugin's dependency is not in use yet.",
  SIM_ERR_PLUGIN_BAD_OPTION: 'A plugin factory got an option of the wrong type or range.',
  SIM_ERR_BUS_UNKNOWN: 'A bus name that is not registered.',
  SIM_ERR_BUS_BAD_SPEC: 'busRegister() got a bad bus description, or a bus callback returned a non-integer.',
  SIM_ERR_DEVICE_UNKNOWN: 'A device name that is not registered.',
  SIM_ERR_DEVICE_BAD_SPEC: 'addDevice() got a device description with a missing or out-of-range field.',
  SIM_ERR_DRIVER_UNKNOWN: 'A driver name that is not registered on the bus.',
  SIM_ERR_DRIVER_BAD_SPEC: 'registerDriver() got a driver description with a missing or wrong field.',
  SIM_ERR_DRIVER_BAD_PROBE_RETURN: "A driver's probe function returned something other than a 32-bit integer.",
  SIM_ERR_SYSFS_BAD_PATH: 'A sysfs path that is not absolute, or a link target outside /sys.',
  SIM_ERR_SYSFS_BAD_TEXT: 'A sysfs write was given something other than a string.',
  SIM_ERR_INJECT_BAD_SPEC:
    'A fault injection names an unknown chain or driver, or an answer or count of the wrong form.',
  SIM_ERR_DEV_BAD_PATH: 'A /dev path, node name, file operations or ioctl command of the wrong form.',
  SIM_ERR_DEV_BAD_FD: 'ioctl() or close() got a file descriptor that is not an integer.',
  SIM_ERR_KERNEL_ABANDONED:
    'A task run was abandoned (its chooser gave up or threw) with operations half done: the kernel runs nothing more.',
  SIM_ERR_TASK_BAD_SPEC:
    'runTasks() got a task list of the wrong form (names not unique, a body that is not a generator function), or its chooser picked a task that cannot run.',
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
