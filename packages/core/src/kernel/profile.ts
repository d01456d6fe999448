import { SimError, show } from '../errors/sim-error.ts';
import { isKernelBase, KERNEL_BASES, type KernelBase } from './versions.ts';

/** A behaviour flag: one switch that changes what the simulated kernel does, and where the kernel would change. */
export interface FlagDef {
  /** Flag name as profiles and `hasFlag()` use it, e.g. `stopBindOnNotifyBad`. */
  readonly name: string;
  /** One line: what turning it on changes. */
  readonly description: string;
  /** The kernel file and function the change is in. */
  readonly where: string;
  /**
   * Bases the flag makes no sense on, each with the reason (what the base changed, and in which release). A profile
   * that turns the flag on over such a base is refused with that reason.
   */
  readonly refusedOn?: Readonly<Partial<Record<KernelBase, string>>>;
}

/** A named kernel behaviour: a base kernel and the flags turned on over it. */
export interface ProfileDef {
  readonly name: string;
  readonly description: string;
  /** The base kernel; default '4.12'. */
  readonly base?: KernelBase;
  readonly flags: readonly string[];
}

/**
 * A profile as createKernel() takes it: a known name, or a base and flags (optionally named). `{ flags }` alone
 * builds on '4.12'.
 */
export type ProfileInput =
  | string
  | { readonly name?: string; readonly base?: KernelBase; readonly flags?: readonly string[] };

/** The profile a kernel runs under. */
export interface Profile {
  /** The profile's name, or `custom` for a bare base and flag list. */
  readonly name: string;
  /** The base kernel ('4.12' or '6.12'); `kernel.version` holds what it does. */
  readonly base: KernelBase;
  readonly flags: readonly string[];
}

/** Core's flag for the seed RFC. */
export const STOP_BIND_ON_NOTIFY_BAD = 'stopBindOnNotifyBad';

/** The flags @sim/core defines. */
export const CORE_FLAGS: readonly FlagDef[] = [
  {
    name: STOP_BIND_ON_NOTIFY_BAD,
    description:
      'driver_sysfs_add() returns -EINVAL when the BUS_NOTIFY_BIND_DRIVER chain answers exactly NOTIFY_BAD, so the bind stops before the probe (the seed RFC)',
    where: 'drivers/base/dd.c driver_sysfs_add()',
    refusedOn: {
      '6.12':
        'the seed patch changes what driver_sysfs_add() does with the BUS_NOTIFY_BIND_DRIVER answer, but since v6.3 the chain is called through bus_notify(), which returns nothing (drivers/base/bus.c), and since v5.19 a bind into a group userspace owns is refused earlier, by dma_configure()',
    },
  },
];

/** The profiles @sim/core defines. */
export const CORE_PROFILES: readonly ProfileDef[] = [
  {
    name: 'v4.12',
    base: '4.12',
    description: 'Linux v4.12 as released: bus notifier answers never stop a bind',
    flags: [],
  },
  {
    name: 'v4.12+bind-veto',
    base: '4.12',
    description: "v4.12 with the seed's dd.c change only: NOTIFY_BAD on BUS_NOTIFY_BIND_DRIVER stops the bind",
    flags: [STOP_BIND_ON_NOTIFY_BAD],
  },
  {
    name: 'v6.12',
    base: '6.12',
    description:
      'Linux 6.12 LTS: DMA ownership refuses a bind into a group userspace owns (-EBUSY from dma_configure(), before any bus event); no IOMMU group chain; BUS_NOTIFY_* from 0; bind returns the probe errno',
    flags: [],
  },
];

/** Resolves a profile against the known profiles and flags; throws a SimError that lists them otherwise. */
export function resolveProfile(
  input: ProfileInput,
  profiles: readonly ProfileDef[],
  flags: readonly FlagDef[],
): Profile {
  const knownFlags = flags.map((f) => f.name);
  if (typeof input === 'string') {
    const found = profiles.find((p) => p.name === input);
    if (found === undefined) {
      throw new SimError(
        'SIM_ERR_PROFILE_UNKNOWN',
        `unknown profile ${show(input)}; known profiles: ${profiles.map((p) => p.name).join(', ')} (a plugin's profiles are known once the plugin is passed to createKernel({ plugins }))`,
      );
    }
    return checkFlags(found.name, found.base ?? '4.12', [...found.flags], flags);
  }
  if (
    typeof input !== 'object' ||
    input === null ||
    (input.flags !== undefined && !Array.isArray(input.flags)) ||
    (input.flags === undefined && input.base === undefined) ||
    (input.name !== undefined && (typeof input.name !== 'string' || input.name === ''))
  ) {
    throw new SimError(
      'SIM_ERR_PROFILE_UNKNOWN',
      `a profile is a name such as 'v4.12' or { name?, base?, flags } (name a non-empty string), got ${show(input)}; known profiles: ${profiles.map((p) => p.name).join(', ')}`,
    );
  }
  const base = input.base ?? '4.12';
  if (!isKernelBase(base)) {
    throw new SimError(
      'SIM_ERR_PROFILE_UNKNOWN_BASE',
      `unknown base kernel ${show(base)}; the bases are ${KERNEL_BASES.map((b) => `'${b}'`).join(' and ')}`,
    );
  }
  for (const flag of input.flags ?? []) {
    if (!knownFlags.includes(flag)) {
      throw new SimError(
        'SIM_ERR_PROFILE_UNKNOWN_FLAG',
        `unknown flag ${show(flag)}; known flags: ${knownFlags.join(', ')}`,
      );
    }
  }
  const name = input.name ?? 'custom';
  if (typeof name !== 'string' || name === '') {
    throw new SimError('SIM_ERR_PROFILE_UNKNOWN', `a profile's name is a non-empty string, got ${show(input.name)}`);
  }
  return checkFlags(name, base, [...new Set(input.flags ?? [])], flags);
}

/** Refuses a flag that makes no sense on the base (SIM_ERR_PROFILE_FLAG_REFUSED, with the flag's reason). */
function checkFlags(name: string, base: KernelBase, on: string[], flags: readonly FlagDef[]): Profile {
  for (const flag of on) {
    const reason = flags.find((f) => f.name === flag)?.refusedOn?.[base];
    if (reason !== undefined) {
      throw new SimError(
        'SIM_ERR_PROFILE_FLAG_REFUSED',
        `profile '${name}': flag '${flag}' makes no sense on Linux ${base}: ${reason}; use it with base '4.12' (profiles v4.12+bind-veto, rfc-2017)`,
      );
    }
  }
  return { name, base, flags: on };
}
