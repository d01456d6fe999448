import { SimError, show } from '../errors/sim-error.ts';
import type { KernelOptions, Machine, Plugin } from './kernel.ts';
import type { ProfileInput } from './profile.ts';
import type { TraceEvent } from './trace.ts';

/** createKernel()'s options, checked, with their defaults. */
export interface ResolvedKernelOptions {
  readonly profile: ProfileInput;
  readonly plugins: readonly Plugin[];
  readonly dynamicDebug: boolean;
  readonly logRecords: number;
  readonly machine: Machine;
  readonly trace: ((event: TraceEvent) => void) | null;
  readonly compileChains: boolean;
}

/** The largest log buffer: 16 Mi records (the kernel's log_buf is at most 2^25 bytes, CONFIG_LOG_BUF_SHIFT=25). */
export const LOG_RECORDS_MAX = 1 << 24;

const OPTION_KEYS = ['profile', 'plugins', 'dynamicDebug', 'logRecords', 'machine', 'trace', 'compileChains'];
const MACHINE_KEYS = ['compatible', 'model'];

function bad(message: string): SimError {
  return new SimError('SIM_ERR_KERNEL_BAD_OPTION', message);
}

function unknownKeys(value: object, known: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw bad(`${where} has no option ${show(key)}; the options are ${known.join(', ')}`);
    }
  }
}

/** Checks createKernel()'s options (a SimError naming the option and the fix) and fills in the defaults. */
export function resolveKernelOptions(options: unknown): ResolvedKernelOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw bad(`createKernel() takes an options object such as { profile: 'v4.12', plugins: [] }, got ${show(options)}`);
  }
  unknownKeys(options, OPTION_KEYS, 'createKernel()');
  const o = options as KernelOptions;
  const plugins = o.plugins ?? [];
  if (!Array.isArray(plugins)) {
    throw bad(`createKernel({ plugins }) takes an array of plugins, got ${show(plugins)}`);
  }
  const logRecords = o.logRecords ?? 8192;
  if (
    typeof logRecords !== 'number' ||
    !Number.isInteger(logRecords) ||
    logRecords < 1 ||
    logRecords > LOG_RECORDS_MAX
  ) {
    throw bad(`logRecords must be an integer in [1, ${LOG_RECORDS_MAX}], got ${show(logRecords)}`);
  }
  const dynamicDebug = o.dynamicDebug ?? true;
  if (typeof dynamicDebug !== 'boolean') {
    throw bad(`dynamicDebug must be true or false, got ${show(dynamicDebug)}`);
  }
  const trace = o.trace ?? null;
  if (trace !== null && typeof trace !== 'function') {
    throw bad(`trace must be a listener function (event) => void, got ${show(trace)}`);
  }
  const compileChains = o.compileChains ?? true;
  if (typeof compileChains !== 'boolean') {
    throw bad(`compileChains must be true or false, got ${show(compileChains)}`);
  }
  return {
    trace,
    compileChains,
    profile: o.profile ?? 'v4.12',
    plugins: [...plugins],
    dynamicDebug,
    logRecords,
    machine: resolveMachine(o.machine),
  };
}

function resolveMachine(machine: unknown): Machine {
  if (machine === undefined) return { compatible: [], model: 'Generic PC' };
  if (typeof machine !== 'object' || machine === null || Array.isArray(machine)) {
    throw bad(`machine must be an object such as { compatible: ['ti,k2hk'], model: 'K2HK EVM' }, got ${show(machine)}`);
  }
  unknownKeys(machine, MACHINE_KEYS, 'createKernel({ machine })');
  const m = machine as Partial<Machine>;
  const compatible = m.compatible ?? [];
  if (!Array.isArray(compatible) || compatible.some((c) => typeof c !== 'string' || c === '')) {
    throw bad(
      `machine.compatible must be an array of device-tree compatible strings such as ['ti,k2hk', 'ti,keystone'], got ${show(compatible)}`,
    );
  }
  const model = m.model ?? 'Generic PC';
  if (typeof model !== 'string') throw bad(`machine.model must be a string such as 'K2HK EVM', got ${show(model)}`);
  return { compatible: [...compatible], model };
}
