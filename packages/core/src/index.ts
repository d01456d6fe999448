// The public surface of @sim/core. Everything a user or plugin may import is named here; nothing else is exported.

export { busNotifyCaller, type CallerVerdict } from './audit/callers.ts';
export {
  type AnswerKind,
  type DecodedAnswer,
  decodeNotifierAnswer,
  isOkAnswer,
} from './audit/decode.ts';
export { auditDueDiligence, type DueDiligenceOptions } from './audit/due-diligence.ts';
export { auditVerdictLine, formatAuditReport } from './audit/format.ts';
export { type AuditRecording, type AuditTraceOptions, auditTrace, recordAudit } from './audit/record.ts';
export type {
  AuditActedBefore,
  AuditAnswer,
  AuditCoverage,
  AuditCrash,
  AuditEventSummary,
  AuditFinding,
  AuditOutcome,
  AuditOutcomeSource,
  AuditReport,
  AuditVerdict,
} from './audit/report.ts';
export type { Bus } from './base/bus.ts';
export {
  type Device,
  type DeviceKind,
  type I2cAdapter,
  type I2cClient,
  type IommuGroupRef,
  isI2cAdapter,
  isI2cClient,
  isPciDevice,
  isPlatformDevice,
  type OfNode,
  PCI_ANY_ID,
  PCI_HEADER_TYPE_BRIDGE,
  PCI_HEADER_TYPE_CARDBUS,
  PCI_HEADER_TYPE_NORMAL,
  type PciDevice,
  type PlatformDevice,
} from './base/device.ts';
export type { Driver, DriverSpec, PciDeviceId, ProbeContext, ProbeFn, ProbeOutcome } from './base/driver.ts';
export { PLATFORM_DEVID_AUTO, PLATFORM_DEVID_NONE } from './bus/platform.ts';
export * from './constants/bus-notify.ts';
export * from './constants/errno.ts';
export * from './constants/notifier.ts';
export { SIM_ERROR_CODES, type SimErrorCode, type SimErrorCodes } from './errors/codes.ts';
export { describeThrown, SimError, show as showValue } from './errors/sim-error.ts';
export { PAGE_SIZE, type SysfsStat } from './fs/sysfs.ts';
export {
  answerValue,
  describeAnswer,
  type InjectAnswer,
  type Injection,
  type Injector,
  type NotifierInjection,
  type ProbeFault,
  type SysfsFault,
} from './inject/inject.ts';
export type { Oops } from './kernel/bug.ts';
export { createKernel } from './kernel/create.ts';
export type {
  BusNotifierBlock,
  BusTypeSpec,
  DevfsApi,
  DeviceSpec,
  Dmesg,
  FileOperations,
  GenericDeviceSpec,
  I2cAdapterSpec,
  I2cClientSpec,
  Kernel,
  KernelOptions,
  Machine,
  OpenFile,
  PciDeviceSpec,
  PlatformDeviceSpec,
  Plugin,
  SysfsApi,
} from './kernel/kernel.ts';
export {
  formatRecord,
  formatTimestamp,
  KERN_ALERT,
  KERN_CRIT,
  KERN_DEBUG,
  KERN_EMERG,
  KERN_ERR,
  KERN_INFO,
  KERN_NOTICE,
  KERN_WARNING,
  type LogLevel,
  type LogRecord,
  levelName,
} from './kernel/printk.ts';
export {
  CORE_FLAGS,
  CORE_PROFILES,
  type FlagDef,
  type Profile,
  type ProfileDef,
  type ProfileInput,
  STOP_BIND_ON_NOTIFY_BAD,
} from './kernel/profile.ts';
export {
  type BlockYield,
  type Chooser,
  HUNG_TASK_TIMEOUT_NS,
  runToBlock,
  type Sleepable,
  type SwitchPoint,
  type SwitchYield,
  type TaskRunResult,
  type Transition,
  type Waiter,
  type Yield,
} from './kernel/sched.ts';
export type { RunTasksOptions, TaskRunReport, TaskSpec, TaskSyscalls } from './kernel/tasks.ts';
export type { NotifyOutcome, TraceEvent, TraceEventType } from './kernel/trace.ts';
export { type Trace, type TraceRecording, toJsonl } from './kernel/tracer.ts';
export {
  BUS_NOTIFY_VOID_EFFECT,
  isKernelBase,
  KERNEL_BASES,
  type KernelBase,
  type KernelVersion,
  kernelVersion,
  LINUX_4_12,
  LINUX_6_12,
  type VersionChange,
} from './kernel/versions.ts';
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
