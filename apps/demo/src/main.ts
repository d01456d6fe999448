import { readFileSync } from 'node:fs';
import { allOptions, parseCommandArgs } from './commands/command.ts';
import { makeContext } from './commands/context.ts';
import { commandHelp, usageText } from './commands/help.ts';
import { COMMANDS, findCommand, unknownCommand } from './commands/table.ts';
import { colourWanted, makeStyle } from './format/style.ts';
import { EXIT_OK, EXIT_USAGE, type Io } from './io.ts';
import { loadPluginModules } from './plugins/modules.ts';
import { PLUGINS, type Registry } from './plugins/registry.ts';
import { oneLine } from './scenario/load.ts';
import { terminalSafe } from './terminal.ts';

export { FORMATS, render } from './format/render.ts';
export { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type Io } from './io.ts';

/** Options that may come before the command's name; they apply to every command. */
const LEADING = new Set(['--help', '-h', '--color', '--no-color']);

/**
 * Runs the command line; returns the exit code. The commands are the table in commands/table.ts: this finds the
 * command, parses its options (and only its options), answers `--help` and `--version`, checks `--format`, loads the
 * `--plugin` modules, and hands the rest to the command's module.
 */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const usage = (who: string, message: string): number => {
    io.stderr.write(`${who}: ${oneLine(message)}\n`);
    return EXIT_USAGE;
  };
  let i = 0;
  const leading: string[] = [];
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--version' || a === '-V') {
      io.stdout.write(`sim ${version()}\n`);
      return EXIT_OK;
    }
    if (!a.startsWith('-') || a === '-') break;
    if (!LEADING.has(a)) {
      return usage(
        'sim',
        `unknown option '${a}' before the command; the command's options go after its name: sim <command> [options] (sim help <command> lists them)`,
      );
    }
    leading.push(a);
  }
  const name = argv[i];
  if (name === undefined) {
    // `sim` alone is a mistake (usage on stderr, exit 2); `sim --help` is not.
    const asked = leading.includes('--help') || leading.includes('-h');
    (asked ? io.stdout : io.stderr).write(usageText(COMMANDS));
    return asked ? EXIT_OK : EXIT_USAGE;
  }
  const command = findCommand(name);
  if (command === undefined) return usage('sim', `${unknownCommand(name)} (sim help lists them)`);
  const who = `sim ${command.name}`;
  const parsed = parseCommandArgs(command, [...leading, ...argv.slice(i + 1)]);
  if (!parsed.ok) return usage(who, parsed.message);
  const { options, positionals } = parsed;
  if (options.help === true) {
    io.stdout.write(commandHelp(command));
    return EXIT_OK;
  }
  if (positionals.length > command.maxArgs) {
    return usage(
      who,
      command.maxArgs === 0
        ? `takes no arguments, got ${positionals.map((p) => `'${p}'`).join(' ')}`
        : `takes at most ${command.maxArgs === 1 ? 'one argument' : `${command.maxArgs} arguments`} (${command.args}), got ${positionals.length}: ${positionals.join(' ')}`,
    );
  }
  const formats = command.formats ?? [];
  const format = typeof options.format === 'string' ? options.format : (formats[0] ?? '');
  if (formats.length > 0 && !formats.includes(format)) {
    return usage(who, `unknown format '${format}'; formats: ${formats.join(', ')}`);
  }
  const flag = options.color === true ? true : options['no-color'] === true ? false : null;
  // Plugin modules first: the scenario may name their plugins.
  let registry: Registry = PLUGINS;
  const modules = options.plugin;
  if (Array.isArray(modules) && modules.length > 0 && 'plugin' in allOptions(command)) {
    const r = await loadPluginModules(modules as readonly string[], io.cwd ?? process.cwd());
    if ('error' in r) return usage(who, r.error);
    registry = r.registry;
  }
  // On a terminal, control characters from scenario text are shown, not obeyed. The shell's prompt (readline) writes
  // its own cursor codes, so the shell neutralises what it prints itself.
  const out: Io =
    command.name === 'shell' ? io : { ...io, stdout: terminalSafe(io.stdout), stderr: terminalSafe(io.stderr) };
  const ctx = makeContext({
    io: out,
    command,
    args: positionals,
    options,
    format,
    style: makeStyle(colourWanted(io.stdout, io.env, flag)),
    errStyle: makeStyle(colourWanted(io.stderr, io.env, flag)),
    registry,
  });
  if (typeof ctx === 'number') return ctx;
  return await command.run(ctx);
}

/** The version of @sim/demo, from its package.json (one level above both src/ and dist/). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
