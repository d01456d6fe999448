import { SimError, show } from '../errors/sim-error.ts';

/** A behaviour flag: one switch that changes what the simulated kernel does, and where the kernel would change. */
export interface FlagDef {
  /** Flag name as profiles and `hasFlag()` use it, e.g. `stopBindOnNotifyBad`. */
  readonly name: string;
  /** One line: what turning it on changes. */
  readonly description: string;
  /** The kernel file and function the change is in. */
  readonly where: string;
}

/** A named set of flags: one kernel behaviour to replay a scenario under. */
export interface ProfileDef {
  readonly name: string;
  readonly description: string;
  readonly flags: readonly string[];
}

/** A profile as createKernel() takes it: a known name, or flags (optionally named). */
export type ProfileInput = string | { readonly name?: string; readonly flags: readonly string[] };

/** The profile a kernel runs under. */
export interface Profile {
  /** The profile's name, or `custom` for a bare flag list. */
  readonly name: string;
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
  },
];

/** The profiles @sim/core defines. */
export const CORE_PROFILES: readonly ProfileDef[] = [
  { name: 'v4.12', description: 'Linux v4.12 as released: bus notifier answers never stop a bind', flags: [] },
  {
    name: 'v4.12+bind-veto',
    description: "v4.12 with the seed's dd.c change only: NOTIFY_BAD on BUS_NOTIFY_BIND_DRIVER stops the bind",
    flags: [STOP_BIND_ON_NOTIFY_BAD],
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
    return { name: found.name, flags: [...found.flags] };
  }
  if (
    typeof input !== 'object' ||
    input === null ||
    !Array.isArray(input.flags) ||
    (input.name !== undefined && (typeof input.name !== 'string' || input.name === ''))
  ) {
    throw new SimError(
      'SIM_ERR_PROFILE_UNKNOWN',
      `a profile is a name such as 'v4.12' or { name?, flags: [...] } (name a non-empty string), got ${show(input)}; known profiles: ${profiles.map((p) => p.name).join(', ')}`,
    );
  }
  for (const flag of input.flags) {
    if (!knownFlags.includes(flag)) {
      throw new SimError(
        'SIM_ERR_PROFILE_UNKNOWN_FLAG',
        `unknown flag ${show(flag)}; known flags: ${knownFlags.join(', ')}`,
      );
    }
  }
  return { name: input.name ?? 'custom', flags: [...new Set(input.flags)] };
}
