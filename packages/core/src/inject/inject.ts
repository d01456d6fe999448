import { NOTIFY_BAD, NOTIFY_DONE, NOTIFY_OK, NOTIFY_STOP, notifierFromErrno } from '../constants/notifier.ts';
import { SimError, show } from '../errors/sim-error.ts';
import type { KernelImpl } from '../kernel/kernel-impl.ts';
import { KERN_INFO } from '../kernel/printk.ts';
import type { NotifierBlock } from '../notifier/notifier-block.ts';

/** What an injected notifier answers. */
export type InjectAnswer =
  | 'NOTIFY_BAD'
  | 'NOTIFY_STOP'
  | 'NOTIFY_OK'
  | 'NOTIFY_DONE'
  /** notifier_from_errno(errno): the errno under the stop bit, as notifier-error-inject answers. */
  | { readonly fromErrno: number }
  /** A raw int, e.g. -16: a callback returning an errno directly. */
  | { readonly raw: number };

/** A block that answers one action of one chain, like lib/notifier-error-inject.c. */
export interface NotifierInjection {
  /** The chain's name, as `kernel.chains()` lists them ('pci', 'platform', a plugin's chain ...). */
  readonly chain: string;
  /** The action to answer (BUS_NOTIFY_BIND_DRIVER ...), or 'any'. Other actions get NOTIFY_DONE. */
  readonly action: number | 'any';
  readonly answer: InjectAnswer;
  /** Priority of the injecting block (default 0: after the blocks already registered at 0). */
  readonly priority?: number;
  /** The block's name (default 'notifier-error-inject'). */
  readonly name?: string;
  /** Answer only this many times, then NOTIFY_DONE (default: every time). */
  readonly times?: number;
}

/** A probe that fails: the driver's probe returns `errno` instead of running, on its `nth` call (or every call). */
export interface ProbeFault {
  readonly driver: string;
  readonly bus: string;
  /** What the probe returns, e.g. -12. */
  readonly errno: number;
  /** The call (1-based, counting from now) that fails; omitted: every call. */
  readonly nth?: number;
}

/**
 * A sysfs entry that cannot be created: the creation of an entry named `name` (any directory, or only under `under`)
 * fails with `errno`, like failslab failing kernfs_new_node()'s allocation (-ENOMEM) under sysfs_create_dir_ns(),
 * sysfs_create_file() or sysfs_create_group().
 */
export interface SysfsFault {
  /** The entry's name, e.g. 'lpss_ltr'. */
  readonly name: string;
  /** Only below this sysfs directory (e.g. a device's path); default anywhere. */
  readonly under?: string;
  /** What the creation returns, a negative errno such as -12 (-ENOMEM). */
  readonly errno: number;
  /** Fail only this many times, then create as usual (default: every time). */
  readonly times?: number;
}

/** A live injection, and its removal. */
export interface Injection {
  readonly description: string;
  /** The kernel's int of registering (0, or a negative errno the chain refused with). */
  readonly ret: number;
  /** Removes the injection; 0, or -ENOENT when it was gone already. */
  remove(): number;
}

/** Fault injection, shaped like the kernel's notifier-error-inject and fail_function. */
export interface Injector {
  /** Registers an injecting block on a chain. */
  notifier(spec: NotifierInjection): Injection;
  /** Makes a driver's probe fail. */
  probe(spec: ProbeFault): Injection;
  /** Makes the creation of a sysfs entry fail. */
  sysfs(spec: SysfsFault): Injection;
  /** The injections in place, described. */
  list(): string[];
}

/** The int an answer stands for. */
export function answerValue(answer: InjectAnswer): number {
  if (answer === 'NOTIFY_BAD') return NOTIFY_BAD;
  if (answer === 'NOTIFY_STOP') return NOTIFY_STOP;
  if (answer === 'NOTIFY_OK') return NOTIFY_OK;
  if (answer === 'NOTIFY_DONE') return NOTIFY_DONE;
  if (typeof answer === 'object' && answer !== null && 'fromErrno' in answer)
    return notifierFromErrno(answer.fromErrno);
  return (answer as { raw: number }).raw;
}

/** How an answer reads in messages: NOTIFY_BAD, notifierFromErrno(-22), raw -16. */
export function describeAnswer(answer: InjectAnswer): string {
  if (typeof answer === 'string') return answer;
  if ('fromErrno' in answer) return `notifierFromErrno(${answer.fromErrno})`;
  return `raw ${answer.raw}`;
}

function checkAnswer(answer: unknown): InjectAnswer {
  const ok =
    answer === 'NOTIFY_BAD' ||
    answer === 'NOTIFY_STOP' ||
    answer === 'NOTIFY_OK' ||
    answer === 'NOTIFY_DONE' ||
    (typeof answer === 'object' &&
      answer !== null &&
      (('fromErrno' in answer &&
        Number.isInteger(answer.fromErrno) &&
        (answer.fromErrno as number) <= 0 &&
        (answer.fromErrno as number) >= -4095) ||
        ('raw' in answer && Number.isInteger(answer.raw) && ((answer.raw as number) | 0) === answer.raw)));
  if (!ok) {
    throw new SimError(
      'SIM_ERR_INJECT_BAD_SPEC',
      `injected answer ${show(answer)} is not 'NOTIFY_BAD', 'NOTIFY_STOP', 'NOTIFY_OK', 'NOTIFY_DONE', { fromErrno: -22 } (an errno in [-4095, 0]) or { raw: -16 } (a 32-bit int)`,
    );
  }
  return answer as InjectAnswer;
}

/** The kernel's injector. */
export function createInjector(k: KernelImpl): Injector {
  const live = new Set<Injection>();
  /**
   * An injection in place (`ret` 0) is listed until removed, and a failed use() takes it out again (the journal);
   * `remove()` undoes exactly this injection.
   */
  const track = (description: string, ret: number, undo: () => number): Injection => {
    const injection: Injection = {
      description,
      ret,
      remove: () => {
        live.delete(injection);
        return undo();
      },
    };
    if (ret === 0) {
      live.add(injection);
      k.journalUndo(() => injection.remove());
    }
    return injection;
  };
  return {
    notifier(spec) {
      k.checkUsable();
      if (typeof spec !== 'object' || spec === null) {
        throw new SimError(
          'SIM_ERR_INJECT_BAD_SPEC',
          `inject.notifier() takes { chain, action, answer }, got ${show(spec)}`,
        );
      }
      const chain = k.chainNamed(spec.chain);
      if (chain === undefined) {
        throw new SimError(
          'SIM_ERR_INJECT_BAD_SPEC',
          `no chain named ${show(spec.chain)}; known chains: ${k.chains().join(', ')}`,
        );
      }
      if (spec.action !== 'any' && !(Number.isInteger(spec.action) && spec.action >= 0)) {
        throw new SimError('SIM_ERR_INJECT_BAD_SPEC', `action ${show(spec.action)} is not an action number or 'any'`);
      }
      const answer = checkAnswer(spec.answer);
      const value = answerValue(answer);
      const times = spec.times ?? Number.POSITIVE_INFINITY;
      if (!(times === Number.POSITIVE_INFINITY || (Number.isInteger(times) && times >= 1))) {
        throw new SimError('SIM_ERR_INJECT_BAD_SPEC', `times ${show(spec.times)} is not a positive integer`);
      }
      const name = spec.name ?? 'notifier-error-inject';
      const actionName = spec.action === 'any' ? 'any action' : k.actionName(chain, spec.action);
      let left = times;
      const nb: NotifierBlock<unknown> = {
        name,
        priority: spec.priority ?? 0,
        notifierCall: (action) => {
          if ((spec.action !== 'any' && action !== spec.action) || left <= 0) return NOTIFY_DONE;
          left--;
          if (value !== NOTIFY_DONE)
            k.printk(KERN_INFO, `Injecting ${describeAnswer(answer)} (${value}) to ${k.actionName(chain, action)}`);
          return value;
        },
      };
      const reg = (
        chain as unknown as { register(nb: NotifierBlock<unknown>): { ret: number; unregister(): number } }
      ).register(nb);
      return track(
        `${name} on ${spec.chain}: ${actionName} -> ${describeAnswer(answer)}${times === Number.POSITIVE_INFINITY ? '' : ` (${times}x)`}`,
        reg.ret,
        () => reg.unregister(),
      );
    },
    probe(spec) {
      k.checkUsable();
      if (typeof spec !== 'object' || spec === null) {
        throw new SimError(
          'SIM_ERR_INJECT_BAD_SPEC',
          `inject.probe() takes { driver, bus, errno, nth? }, got ${show(spec)}`,
        );
      }
      const bus = k.busOrThrow(spec.bus, 'inject.probe()');
      const drv = bus.driversByName.get(spec.driver);
      if (drv === undefined) {
        throw new SimError(
          'SIM_ERR_INJECT_BAD_SPEC',
          `no driver ${show(spec.driver)} on bus '${bus.name}' to inject into; registered: ${[...bus.driversByName.keys()].join(', ') || 'none'}`,
        );
      }
      if (!Number.isInteger(spec.errno) || (spec.errno | 0) !== spec.errno) {
        throw new SimError('SIM_ERR_INJECT_BAD_SPEC', `errno ${show(spec.errno)} is not a 32-bit integer such as -12`);
      }
      if (spec.nth !== undefined && !(Number.isInteger(spec.nth) && spec.nth >= 1)) {
        throw new SimError(
          'SIM_ERR_INJECT_BAD_SPEC',
          `nth ${show(spec.nth)} is not a positive integer (1 = the next call)`,
        );
      }
      const fault = { driver: drv, errno: spec.errno, at: spec.nth === undefined ? null : drv.probeCalls + spec.nth };
      const undo = k.addProbeFault(fault);
      return track(
        `probe of ${bus.name}/${drv.name} -> ${spec.errno}${spec.nth === undefined ? '' : ` on call ${spec.nth}`}`,
        0,
        undo,
      );
    },
    sysfs(spec) {
      k.checkUsable();
      if (typeof spec !== 'object' || spec === null) {
        throw new SimError(
          'SIM_ERR_INJECT_BAD_SPEC',
          `inject.sysfs() takes { name, under?, errno, times? }, got ${show(spec)}; e.g. { name: 'lpss_ltr', errno: -12 }`,
        );
      }
      if (typeof spec.name !== 'string' || spec.name === '' || spec.name.includes('/')) {
        throw new SimError(
          'SIM_ERR_INJECT_BAD_SPEC',
          `inject.sysfs({ name }) is the name of one sysfs entry such as 'lpss_ltr', got ${show(spec.name)}`,
        );
      }
      if (spec.under !== undefined && (typeof spec.under !== 'string' || !spec.under.startsWith('/sys'))) {
        throw new SimError(
          'SIM_ERR_INJECT_BAD_SPEC',
          `inject.sysfs({ under }) is a sysfs directory such as '/sys/devices/platform', got ${show(spec.under)}`,
        );
      }
      if (!Number.isInteger(spec.errno) || spec.errno >= 0 || spec.errno < -4095) {
        throw new SimError(
          'SIM_ERR_INJECT_BAD_SPEC',
          `inject.sysfs({ errno }) is a negative errno in [-4095, -1] such as -12 (-ENOMEM), got ${show(spec.errno)}`,
        );
      }
      const times = spec.times ?? Number.POSITIVE_INFINITY;
      if (!(times === Number.POSITIVE_INFINITY || (Number.isInteger(times) && times >= 1))) {
        throw new SimError('SIM_ERR_INJECT_BAD_SPEC', `times ${show(spec.times)} is not a positive integer`);
      }
      const under = spec.under === undefined ? null : `${spec.under.replace(/\/+$/, '')}/`;
      let left = times;
      const undo = k.addSysfsCreateFault((path) => {
        if (left <= 0 || path.slice(path.lastIndexOf('/') + 1) !== spec.name) return 0;
        if (under !== null && !path.startsWith(under)) return 0;
        left--;
        k.printk(KERN_INFO, `Injecting ${spec.errno} to the creation of ${path}`);
        return spec.errno;
      });
      return track(
        `sysfs ${spec.name}${under === null ? '' : ` under ${spec.under}`} -> ${spec.errno}${times === Number.POSITIVE_INFINITY ? '' : ` (${times}x)`}`,
        0,
        undo,
      );
    },
    list() {
      return [...live].map((i) => i.description);
    },
  };
}
