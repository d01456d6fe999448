import type { Style } from '../format/style.ts';
import type { Io } from '../io.ts';
import type { Registry } from '../plugins/registry.ts';
import type { Problem } from '../scenario/load.ts';
import type { Scenario } from '../scenario/types.ts';

/** One option a command takes, as `sim help CMD` lists it. */
export interface OptionSpec {
  /** `string` takes a value (`--profile P`, `--profile=P`); `boolean` takes none. */
  readonly type: 'string' | 'boolean';
  /** A one-letter alias (`-f`). */
  readonly short?: string;
  /** May be given more than once (values collected in order); otherwise a second one is refused. */
  readonly multiple?: boolean;
  /** The value's name in help (`P` in `--profile P`). */
  readonly value?: string;
  /** One line (or a few) for `sim help CMD`. */
  readonly help: string;
}

/** The options after parsing: a string, `true`, or the list of a `multiple` option; absent ones are missing. */
export type OptionValues = Readonly<Record<string, string | true | readonly string[]>>;

/**
 * A `sim` command: its name, what it takes, its help, and its code. The table in table.ts lists them; main() parses
 * the command line against the command's own options (an option it does not declare exits 2 naming it), handles
 * `--help`, loads `--plugin` modules and checks `--format`, then calls `run`.
 */
export interface CommandSpec {
  readonly name: string;
  /** The positional arguments, for the usage line: `<file.yaml | name>`. */
  readonly args: string;
  /** How many positional arguments it takes at most (a missing one is the command's to report). */
  readonly maxArgs: number;
  /** One line for `sim help`. */
  readonly summary: string;
  /** What `sim help CMD` says under the usage line (a paragraph; wrapped as written). */
  readonly description: string;
  /** Its options, by long name (without `--`). The common ones (`--help`, `--color`, `--no-color`) are added. */
  readonly options: Readonly<Record<string, OptionSpec>>;
  /**
   * The `--format` values it honours, the default first; `--format`/`-f` is added when there are any. A format the
   * command does not list exits 2.
   */
  readonly formats?: readonly string[];
  /** Runs the command; returns the exit code. */
  run(ctx: CommandContext): number | Promise<number>;
}

/** What a command's code gets: the parsed command line, the streams, and the shared scenario helpers. */
export interface CommandContext {
  readonly io: Io;
  readonly command: CommandSpec;
  /** Positional arguments after the command's name. */
  readonly args: readonly string[];
  readonly options: OptionValues;
  /** `--format`, checked against the command's formats (its first one when absent); '' for a command without. */
  readonly format: string;
  /** Styles for stdout and for stderr (colour on a terminal only, see format/style.ts). */
  readonly style: Style;
  readonly errStyle: Style;
  /** The built-in plugins and those of the `--plugin` modules. */
  readonly registry: Registry;
  /** A string option's value, or undefined. */
  string(name: string): string | undefined;
  /** Whether a boolean option was given. */
  flag(name: string): boolean;
  /** A `multiple` option's values (empty when absent). */
  list(name: string): readonly string[];
  /** Writes `sim CMD: message` to stderr; returns EXIT_USAGE. */
  usage(message: string): number;
  /**
   * Writes a scenario's problems to stderr (and how many more were left out, `atLeast` when that is a lower bound);
   * returns EXIT_USAGE.
   */
  problems(list: readonly Problem[], omitted?: number, atLeast?: boolean): number;
  /**
   * Loads the scenario named on the command line (a file or a built-in), with the `--inject` injections; on bad input
   * it has written the messages and returns EXIT_USAGE.
   */
  load(arg: string | undefined): Scenario | number;
  /** Whether the scenario can run under a profile; if not, it has written why (the caller returns EXIT_USAGE). */
  checkProfile(scenario: Scenario, profile: string): boolean;
}

/** Options every command takes. */
export const COMMON_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  help: { type: 'boolean', short: 'h', help: 'this help' },
  color: { type: 'boolean', help: 'colour even when stdout is not a terminal' },
  'no-color': { type: 'boolean', help: 'no colour (NO_COLOR=1 does the same)' },
};

/** `--plugin FILE.mjs`, for every command that reads scenarios or lists plugins. */
export const PLUGIN_OPTION: OptionSpec = {
  type: 'string',
  multiple: true,
  value: 'FILE.mjs',
  help: 'a plugin module (its default export a plugin factory) whose plugin scenarios can name (repeatable)',
};

/** `--inject SPEC`, for every command that runs a scenario. */
export const INJECT_OPTION: OptionSpec = {
  type: 'string',
  multiple: true,
  value: 'SPEC',
  help: 'fault injection once the machine is up (repeatable): CHAIN:ACTION=ANSWER[,priority=N][,times=N] or probe:[BUS/]DRIVER=ERRNO[@N]; from boot: sysfs:NAME=ERRNO[,times=N]',
};

/** Every option a command takes: its own, `--format` when it has formats, and the common ones. */
export function allOptions(command: CommandSpec): Readonly<Record<string, OptionSpec>> {
  const format: Record<string, OptionSpec> =
    command.formats !== undefined && command.formats.length > 0
      ? {
          format: {
            type: 'string',
            short: 'f',
            value: 'F',
            help: `output format: ${command.formats.join(', ')} (default ${command.formats[0]})`,
          },
        }
      : {};
  return { ...command.options, ...format, ...COMMON_OPTIONS };
}

/** The parsed command line of one command, or the message for the first thing wrong with it. */
export type ParsedArgs =
  | { readonly ok: true; readonly options: OptionValues; readonly positionals: readonly string[] }
  | { readonly ok: false; readonly message: string };

/**
 * Parses a command's arguments against its options, as GNU getopt_long does: `--name value`, `--name=value`,
 * `-f value`, `-fvalue`, grouped short booleans (`-vh`), `--` ending the options, and `-` alone as a positional.
 * Anything the command does not declare is refused, naming it; so are a missing value, a value given to a boolean
 * option and a single-valued option given twice.
 */
export function parseCommandArgs(command: CommandSpec, argv: readonly string[]): ParsedArgs {
  const specs = allOptions(command);
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) if (spec.short !== undefined) byShort.set(spec.short, name);
  const values = new Map<string, string | true | string[]>();
  const positionals: string[] = [];
  const fail = (message: string): ParsedArgs => ({ ok: false, message });
  const set = (name: string, shown: string, value: string | true): string | null => {
    const spec = specs[name]!;
    if (spec.multiple === true) {
      const list = (values.get(name) as string[] | undefined) ?? [];
      list.push(value as string);
      values.set(name, list);
      return null;
    }
    if (values.has(name)) return `${shown} is given twice; give it once`;
    values.set(name, value);
    return null;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const shown = `--${name}`;
      const spec = Object.hasOwn(specs, name) ? specs[name]! : undefined;
      if (spec === undefined) return fail(unknownOption(command, shown));
      let value: string | true;
      if (spec.type === 'boolean') {
        if (eq !== -1) return fail(`${shown} takes no value; write ${shown} alone`);
        value = true;
      } else if (eq !== -1) value = arg.slice(eq + 1);
      else {
        const next = argv[i + 1];
        if (next === undefined || (next.startsWith('-') && next !== '-')) {
          return fail(`${shown} needs a value: ${shown} ${spec.value ?? 'VALUE'}`);
        }
        value = next;
        i++;
      }
      const err = set(name, shown, value);
      if (err !== null) return fail(err);
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') {
      // Short options: booleans may be grouped (-vh); one taking a value takes the rest of the word or the next one.
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        const name = byShort.get(letter);
        if (name === undefined) return fail(unknownOption(command, `-${letter}`));
        const spec = specs[name]!;
        const shown = `-${letter}`;
        if (spec.type === 'boolean') {
          const err = set(name, shown, true);
          if (err !== null) return fail(err);
          continue;
        }
        let value = arg.slice(j + 1);
        if (value === '') {
          const next = argv[i + 1];
          if (next === undefined || (next.startsWith('-') && next !== '-')) {
            return fail(`${shown} needs a value: ${shown} ${spec.value ?? 'VALUE'}`);
          }
          value = next;
          i++;
        }
        const err = set(name, shown, value);
        if (err !== null) return fail(err);
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  return { ok: true, options: Object.fromEntries(values), positionals };
}

/** "unknown option '--profiles'; did you mean --profile? sim run takes: …" */
function unknownOption(command: CommandSpec, shown: string): string {
  const names = Object.keys(allOptions(command)).map((n) => `--${n}`);
  const near = shown.startsWith('--') ? names.find((n) => closeTo(n, shown)) : undefined;
  return `unknown option '${shown}'${near === undefined ? '' : ` (did you mean ${near}?)`}; sim ${command.name} takes ${names.join(', ')} (sim help ${command.name})`;
}

/** One edit apart, or one a prefix of the other: a likely typo. */
function closeTo(a: string, b: string): boolean {
  if (a === b) return false;
  if (a.startsWith(b) || b.startsWith(a)) return Math.abs(a.length - b.length) <= 2;
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return a.slice(i + 1) === b.slice(i + 1) || a.slice(i) === b.slice(i + 1) || a.slice(i + 1) === b.slice(i);
}
