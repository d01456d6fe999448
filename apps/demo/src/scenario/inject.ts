import { errnoValue, type InjectAnswer, type Kernel, MAX_ERRNO, SimError } from '@sim/core';
import type { PluginEntry } from '../plugins/registry.ts';
import { BUS_NOTIFY_NAMES } from './schema.ts';
import { INJECT_FORMS, intText } from './steps.ts';
import type { InjectDecl, RawNotifierInject, RawProbeInject, RawSysfsInject } from './types.ts';
import { showValue } from './validator.ts';

export { INJECT_FORMS, intText };

// Injections as data: the file's `inject:` entries, the `inject` / `inject-probe` steps and `--inject` all come
// here as the same raw shapes, are checked the same way, and become core's kernel.inject calls.

/** What an answer may be, for messages (the same words as a `notifiers:` answer). */
export const ANSWER_FORMS =
  'NOTIFY_DONE, NOTIFY_OK, NOTIFY_BAD, NOTIFY_STOP, a raw errno such as -EBUSY, notifier_from_errno(-EBUSY) or an integer';

/** One problem with an injection: the field it is in, what is wrong, what would be accepted. */
export interface InjectProblem {
  /** chain, action, answer, priority, times, probe, bus, errno or nth. */
  readonly field: string;
  readonly message: string;
  readonly expected: string;
}

/** What an injection is checked against: the machine's buses and drivers, and the plugins in use. */
export interface InjectContext {
  readonly buses: readonly string[];
  /** Drivers of the topology and the plugins; `loaded: false` for those only a modprobe step registers. */
  readonly drivers: readonly { readonly bus: string; readonly name: string; readonly loaded: boolean }[];
  readonly plugins: readonly PluginEntry[];
  /** Applied at boot (a driver must be registered by then). */
  readonly atBoot: boolean;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

const isInt32 = (n: number) => Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX;

/** Decodes an injected answer written as a notifier answer: NOTIFY_*, -EBUSY, notifier_from_errno(-EBUSY), an int. */
export function decodeInjectAnswer(answer: string | number): InjectAnswer | null {
  if (typeof answer === 'number') return isInt32(answer) ? { raw: answer } : null;
  if (answer === 'NOTIFY_DONE' || answer === 'NOTIFY_OK' || answer === 'NOTIFY_BAD' || answer === 'NOTIFY_STOP') {
    return answer;
  }
  const m = /^(?:notifier_from_errno\((-E[A-Z0-9_]+)\)|(-E[A-Z0-9_]+))$/.exec(answer);
  if (m === null) return null;
  const e = errnoValue((m[1] ?? m[2]!).slice(1));
  if (e === undefined) return null;
  return m[1] !== undefined ? { fromErrno: -e } : { raw: -e };
}

/** Action names the app knows: BUS_NOTIFY_* on bus chains, and those of the plugins' chains. */
function actionTable(plugins: readonly PluginEntry[]): Map<string, number> {
  const table = new Map<string, number>(BUS_NOTIFY_NAMES.map((n, i) => [n, i + 1]));
  for (const p of plugins)
    for (const f of p.chains ?? []) for (const [n, v] of Object.entries(f.actions)) table.set(n, v);
  return table;
}

/** The action names a chain takes, or null when the app knows none for it. */
function chainActions(chain: string, buses: readonly string[], plugins: readonly PluginEntry[]): string[] | null {
  if (buses.includes(chain)) return BUS_NOTIFY_NAMES;
  for (const p of plugins) {
    for (const f of p.chains ?? []) if (f.pattern.test(chain)) return Object.keys(f.actions);
  }
  return null;
}

function answerText(answer: string | number): string {
  return typeof answer === 'number' ? String(answer) : answer;
}

/** An errno as written (-ENOMEM or -12), or a problem. */
function errnoOf(errno: string | number, problems: InjectProblem[]): number | null {
  if (typeof errno === 'number') {
    if (Number.isInteger(errno) && errno < 0 && errno >= -MAX_ERRNO) return errno;
    problems.push({
      field: 'errno',
      message: `errno ${errno} is out of range`,
      expected: `a negative errno from -1 to -${MAX_ERRNO}, or a name such as -ENOMEM`,
    });
    return null;
  }
  const e = typeof errno === 'string' && /^-E[A-Z0-9_]+$/.test(errno) ? errnoValue(errno.slice(1)) : undefined;
  if (e === undefined) {
    problems.push({
      field: 'errno',
      message: `unknown errno ${showValue(errno)}`,
      expected: 'a negative errno name such as -ENOMEM or -ENODEV',
    });
    return null;
  }
  return -e;
}

/** Checks and decodes a sysfs creation fault. */
function resolveSysfs(raw: RawSysfsInject, line: number | null): { decl: InjectDecl } | { problems: InjectProblem[] } {
  const problems: InjectProblem[] = [];
  if (typeof raw.sysfs !== 'string' || raw.sysfs === '' || /[/\s]/.test(raw.sysfs)) {
    problems.push({
      field: 'sysfs',
      message: `${showValue(raw.sysfs)} is not the name of one sysfs entry`,
      expected: 'a name without slashes or blanks, such as lpss_ltr',
    });
  }
  if (raw.under !== undefined && !(typeof raw.under === 'string' && /^\/sys(\/\S*)?$/.test(raw.under))) {
    problems.push({
      field: 'under',
      message: `${showValue(raw.under)} is not a sysfs directory`,
      expected: 'an absolute path under /sys, such as /sys/devices/platform',
    });
  }
  const errno = errnoOf(raw.errno, problems);
  if (raw.times !== undefined && !(Number.isInteger(raw.times) && raw.times >= 1 && raw.times <= INT32_MAX)) {
    problems.push({ field: 'times', message: `times ${raw.times} is out of range`, expected: 'a count >= 1' });
  }
  if (problems.length > 0 || errno === null) return { problems };
  const times = raw.times ?? null;
  const under = raw.under ?? null;
  const text = `sysfs ${raw.sysfs}${under === null ? '' : ` under ${under}`} ${answerText(raw.errno)}${times === null ? '' : ` times ${times}`}`;
  return { decl: { kind: 'sysfs', line, name: raw.sysfs, under, errno, times, text } };
}

/** Checks and decodes one injection. */
export function resolveInject(
  raw: RawNotifierInject | RawProbeInject | RawSysfsInject,
  ctx: InjectContext,
  line: number | null,
): { readonly decl: InjectDecl } | { readonly problems: InjectProblem[] } {
  if ('sysfs' in raw) return resolveSysfs(raw, line);
  const problems: InjectProblem[] = [];
  if ('probe' in raw) {
    if (raw.bus !== undefined && !ctx.buses.includes(raw.bus)) {
      problems.push({ field: 'bus', message: `unknown bus '${raw.bus}'`, expected: `one of ${ctx.buses.join(', ')}` });
    }
    const named = ctx.drivers.filter((d) => d.name === raw.probe);
    const hits = named.filter((d) => raw.bus === undefined || d.bus === raw.bus);
    const buses = [...new Set(hits.map((d) => d.bus))];
    if (problems.length === 0 && hits.length === 0) {
      const names = [
        ...new Set(ctx.drivers.filter((d) => raw.bus === undefined || d.bus === raw.bus).map((d) => d.name)),
      ];
      problems.push({
        field: 'probe',
        message: `unknown driver '${raw.probe}'${raw.bus === undefined ? '' : ` on bus '${raw.bus}'`}`,
        expected: `a driver of the topology or a plugin: ${names.join(', ') || 'none is declared'}`,
      });
    } else if (buses.length > 1) {
      problems.push({
        field: 'probe',
        message: `driver '${raw.probe}' is on ${buses.length} buses (${buses.join(', ')})`,
        expected: `the bus named too: ${buses.map((b) => `bus ${b}`).join(' or ')}`,
      });
    } else if (ctx.atBoot && hits.length > 0 && hits.every((d) => !d.loaded)) {
      problems.push({
        field: 'probe',
        message: `driver '${raw.probe}' is loaded by a modprobe step (loaded: false), so it is not registered when the injections are applied`,
        expected: `a driver registered at boot, or a step 'inject-probe ${raw.probe} …' after its modprobe`,
      });
    }
    let errno: number | null = null;
    if (typeof raw.errno === 'number') {
      if (Number.isInteger(raw.errno) && raw.errno < 0 && raw.errno >= -MAX_ERRNO) errno = raw.errno;
      else {
        problems.push({
          field: 'errno',
          message: `errno ${raw.errno} is out of range`,
          expected: `a negative errno from -1 to -${MAX_ERRNO}, or a name such as -ENOMEM`,
        });
      }
    } else {
      const e = /^-E[A-Z0-9_]+$/.test(raw.errno) ? errnoValue(raw.errno.slice(1)) : undefined;
      if (e === undefined) {
        problems.push({
          field: 'errno',
          message: `unknown errno ${showValue(raw.errno)}`,
          expected: 'a negative errno name such as -ENOMEM or -ENODEV',
        });
      } else errno = -e;
    }
    if (raw.nth !== undefined && !(Number.isInteger(raw.nth) && raw.nth >= 1 && raw.nth <= INT32_MAX)) {
      problems.push({ field: 'nth', message: `nth ${raw.nth} is out of range`, expected: 'a call number >= 1' });
    }
    if (problems.length > 0 || errno === null) return { problems };
    const bus = buses[0]!;
    const nth = raw.nth ?? null;
    const text = `inject-probe ${raw.probe} ${answerText(raw.errno)}${nth === null ? '' : ` nth ${nth}`}${raw.bus === undefined ? '' : ` bus ${bus}`}`;
    return { decl: { kind: 'probe', line, driver: raw.probe, bus, errno, nth, text } };
  }

  // A notifier injection.
  const table = actionTable(ctx.plugins);
  let action: number | 'any' | null = null;
  if (typeof raw.action === 'number') {
    if (Number.isInteger(raw.action) && raw.action >= 0 && raw.action <= INT32_MAX) action = raw.action;
    else {
      problems.push({
        field: 'action',
        message: `action ${raw.action} is out of range`,
        expected: 'an action number >= 0, an action name or any',
      });
    }
  } else if (raw.action === 'any') action = 'any';
  else {
    const value = table.get(raw.action);
    const fits = chainActions(raw.chain, ctx.buses, ctx.plugins);
    if (value === undefined) {
      problems.push({
        field: 'action',
        message: `unknown action ${showValue(raw.action)}`,
        expected: `${fits === null ? `an action name (${[...table.keys()].join(', ')})` : `one of ${fits.join(', ')}`}, a number, or any`,
      });
    } else if (fits !== null && !fits.includes(raw.action)) {
      problems.push({
        field: 'action',
        message: `${raw.action} is not an action of chain '${raw.chain}'`,
        expected: `one of ${fits.join(', ')}, a number, or any`,
      });
    } else action = value;
  }
  const answer = decodeInjectAnswer(raw.answer);
  if (answer === null) {
    const errnoLike = typeof raw.answer === 'string' && /^(notifier_from_errno\()?-E[A-Z0-9_]+\)?$/.test(raw.answer);
    problems.push({
      field: 'answer',
      message: errnoLike ? `unknown errno in '${raw.answer}'` : `${showValue(raw.answer)} is not an answer`,
      expected: errnoLike ? 'an errno name such as -EBUSY or -ENODEV' : ANSWER_FORMS,
    });
  }
  if (raw.priority !== undefined && !isInt32(raw.priority)) {
    problems.push({ field: 'priority', message: `priority ${raw.priority} is out of range`, expected: 'a 32-bit int' });
  }
  if (raw.times !== undefined && !(Number.isInteger(raw.times) && raw.times >= 1 && raw.times <= INT32_MAX)) {
    problems.push({ field: 'times', message: `times ${raw.times} is out of range`, expected: 'a count >= 1' });
  }
  if (problems.length > 0 || action === null || answer === null) return { problems };
  const priority = raw.priority ?? null;
  const times = raw.times ?? null;
  const text = `inject ${raw.chain} ${answerText(raw.action)} ${answerText(raw.answer)}${priority === null ? '' : ` priority ${priority}`}${times === null ? '' : ` times ${times}`}`;
  return {
    decl: {
      kind: 'notifier',
      line,
      chain: raw.chain,
      action,
      actionText: answerText(raw.action),
      answer,
      priority,
      times,
      name: raw.name ?? null,
      text,
    },
  };
}

/**
 * Checks an injection against a booted kernel: the chain exists (plugins' chains, such as iommu_group:N, exist only
 * once the devices are in), an action name fits it, and the kernel takes the injection. On success the injection
 * is left in place on that kernel.
 */
export function checkOnKernel(decl: InjectDecl, kernel: Kernel, plugins: readonly PluginEntry[]): InjectProblem | null {
  if (decl.kind === 'notifier') {
    const chains = kernel.chains();
    if (!chains.includes(decl.chain)) {
      return {
        field: 'chain',
        message: `unknown chain '${decl.chain}'`,
        expected: `a chain of the machine once booted: ${chains.join(', ')}`,
      };
    }
    const buses = kernel.buses().map((b) => b.name);
    if (typeof decl.action === 'number' && intText(decl.actionText) === null) {
      const fits = chainActions(decl.chain, buses, plugins);
      if (fits === null) {
        return {
          field: 'action',
          message: `chain '${decl.chain}' has no action names the app knows`,
          expected: 'an action number or any',
        };
      }
      if (!fits.includes(decl.actionText)) {
        return {
          field: 'action',
          message: `${decl.actionText} is not an action of chain '${decl.chain}'`,
          expected: `one of ${fits.join(', ')}, a number, or any`,
        };
      }
    }
  }
  const r = applyInject(kernel, decl);
  if (typeof r === 'number') return null;
  const field = decl.kind === 'notifier' ? 'chain' : decl.kind === 'probe' ? 'probe' : 'sysfs';
  return { field, message: r.error, expected: 'what the kernel accepts' };
}

/** Puts an injection in place: the kernel's int of registering, or the kernel's refusal. */
export function applyInject(kernel: Kernel, decl: InjectDecl): number | { readonly error: string } {
  try {
    if (decl.kind === 'notifier') {
      // A BUS_NOTIFY_* name takes the running kernel's value (BIND_DRIVER is 4 on v4.12, 3 on 6.12).
      const action = kernel.busEvents.value(decl.actionText) ?? decl.action;
      return kernel.inject.notifier({
        chain: decl.chain,
        action,
        answer: decl.answer,
        ...(decl.priority === null ? {} : { priority: decl.priority }),
        ...(decl.times === null ? {} : { times: decl.times }),
        ...(decl.name === null ? {} : { name: decl.name }),
      }).ret;
    }
    if (decl.kind === 'sysfs') {
      return kernel.inject.sysfs({
        name: decl.name,
        errno: decl.errno,
        ...(decl.under === null ? {} : { under: decl.under }),
        ...(decl.times === null ? {} : { times: decl.times }),
      }).ret;
    }
    return kernel.inject.probe({
      driver: decl.driver,
      bus: decl.bus,
      errno: decl.errno,
      ...(decl.nth === null ? {} : { nth: decl.nth }),
    }).ret;
  } catch (e) {
    if (!SimError.isInstance(e)) throw e;
    return { error: (e as Error).message };
  }
}

/** The context of a live kernel: its buses and registered drivers (for `inject` steps and the shell). */
export function kernelContext(kernel: Kernel, plugins: readonly PluginEntry[]): InjectContext {
  return {
    buses: kernel.buses().map((b) => b.name),
    drivers: kernel.buses().flatMap((b) => b.drivers().map((d) => ({ bus: b.name, name: d.name, loaded: true }))),
    plugins,
    atBoot: false,
  };
}

/**
 * Parses `--inject SPEC`: CHAIN:ACTION=ANSWER[,priority=N][,times=N], probe:[BUS/]DRIVER=ERRNO[@N] or
 * sysfs:NAME=ERRNO[,times=N].
 */
export function parseInjectOption(
  spec: string,
): RawNotifierInject | RawProbeInject | RawSysfsInject | { readonly error: string } {
  const eq = spec.indexOf('=');
  if (spec.startsWith('sysfs:')) {
    if (eq === -1) return { error: "no '=' before the errno" };
    const name = spec.slice('sysfs:'.length, eq);
    if (name === '') return { error: 'no entry name' };
    const [errnoText = '', ...opts] = spec.slice(eq + 1).split(',');
    if (errnoText === '') return { error: 'no errno after the =' };
    let times: number | undefined;
    for (const o of opts) {
      const m = /^times=(.*)$/.exec(o);
      const n = m === null ? null : intText(m[1]!);
      if (n === null) return { error: `'${o}' is not times=N` };
      times = n;
    }
    return { sysfs: name, errno: intText(errnoText) ?? errnoText, ...(times === undefined ? {} : { times }) };
  }
  if (spec.startsWith('probe:')) {
    if (eq === -1) return { error: "no '=' before the errno" };
    const who = spec.slice('probe:'.length, eq);
    const slash = who.indexOf('/');
    const bus = slash === -1 ? undefined : who.slice(0, slash);
    const driver = slash === -1 ? who : who.slice(slash + 1);
    if (driver === '' || bus === '' || /[\s/]/.test(driver)) return { error: 'no driver name' };
    const [errnoText = '', nthText, ...more] = spec.slice(eq + 1).split('@');
    if (more.length > 0) return { error: "more than one '@'" };
    if (errnoText === '') return { error: 'no errno after the =' };
    const nth = nthText === undefined ? undefined : intText(nthText);
    if (nth === null) return { error: `'${nthText}' after the @ is not a call number` };
    const errno = intText(errnoText) ?? errnoText;
    return { probe: driver, ...(bus === undefined ? {} : { bus }), errno, ...(nth === undefined ? {} : { nth }) };
  }
  if (eq === -1) return { error: "no '=' before the answer" };
  const left = spec.slice(0, eq);
  const colon = left.lastIndexOf(':');
  if (colon <= 0 || colon === left.length - 1) return { error: "no 'CHAIN:ACTION' before the =" };
  const [answerText = '', ...opts] = spec.slice(eq + 1).split(',');
  if (answerText === '') return { error: 'no answer after the =' };
  const extra: { priority?: number; times?: number } = {};
  for (const o of opts) {
    const m = /^(priority|times)=(.*)$/.exec(o);
    const n = m === null ? null : intText(m[2]!);
    if (m === null || n === null) return { error: `'${o}' is not priority=N or times=N` };
    const key = m[1] as 'priority' | 'times';
    // As the step form does: each option once.
    if (extra[key] !== undefined) return { error: `${key}= is given twice; give it once` };
    extra[key] = n;
  }
  const actionText = left.slice(colon + 1);
  return {
    chain: left.slice(0, colon),
    action: intText(actionText) ?? actionText,
    answer: intText(answerText) ?? answerText,
    ...extra,
  };
}
