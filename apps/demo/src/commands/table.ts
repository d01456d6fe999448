import { EXIT_OK } from '../io.ts';
import { auditCommand } from './audit.ts';
import type { CommandSpec } from './command.ts';
import { compareCommand } from './compare.ts';
import { execCommand } from './exec.ts';
import { explainCommand } from './explain.ts';
import { exploreCommand } from './explore.ts';
import { exportCommand } from './export.ts';
import { commandHelp, usageText } from './help.ts';
import { importCommand } from './import.ts';
import { listCommand } from './list.ts';
import { mountCommand } from './mount.ts';
import { runCommand } from './run.ts';
import { schemaCommand } from './schema.ts';
import { shellCommand } from './shell.ts';

/** `sim help [CMD]`: the usage, or one command's help. */
export const helpCommand: CommandSpec = {
  name: 'help',
  args: '[<command>]',
  maxArgs: 1,
  summary: "this list, or a command's options",
  description: "Prints the list of commands, or with a command name that command's usage, options and formats.",
  options: {},
  run(ctx) {
    const name = ctx.args[0];
    if (name === undefined) {
      ctx.io.stdout.write(usageText(COMMANDS));
      return EXIT_OK;
    }
    const c = findCommand(name);
    if (c === undefined) return ctx.usage(unknownCommand(name));
    ctx.io.stdout.write(commandHelp(c));
    return EXIT_OK;
  },
};

/**
 * The commands of `sim`, in the order `sim help` lists them. To add a command, write a module in this directory
 * exporting a CommandSpec (its name, arguments, options, formats, help and `run`) and add it here; see
 * apps/demo/README.md ("Adding a command").
 */
export const COMMANDS: readonly CommandSpec[] = [
  runCommand,
  compareCommand,
  listCommand,
  auditCommand,
  explainCommand,
  exploreCommand,
  schemaCommand,
  shellCommand,
  exportCommand,
  importCommand,
  mountCommand,
  execCommand,
  helpCommand,
];

/** The command of a name, or undefined. */
export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** "unknown command 'x'; commands: run, compare, …" */
export function unknownCommand(name: string): string {
  return `unknown command '${name}'; commands: ${COMMANDS.map((c) => c.name).join(', ')}`;
}
