import { wrap } from '../format/style.ts';
import { allOptions, type CommandSpec } from './command.ts';

const EXIT_STATUS = 'exit status: 0 success, 1 an expectation failed, 2 bad input (nothing ran)';
const WIDTH = 80;

/** `sim help` (and `sim` alone, on stderr): every command with its one line. */
export function usageText(commands: readonly CommandSpec[]): string {
  const out = ['usage: sim <command> [options]', '', 'commands:'];
  const col = 30;
  for (const c of commands) {
    const head = `  ${c.name}${c.args === '' ? '' : ` ${c.args}`}`;
    row(out, head, c.summary, col);
  }
  out.push(
    '',
    'A <scenario> is a YAML file or the name of a built-in scenario (sim list).',
    'sim help <command> or sim <command> --help: the options of a command.',
    'sim --version: the version of sim.',
    'common options: --color, --no-color (NO_COLOR is honoured), --help',
    EXIT_STATUS,
  );
  return `${out.join('\n')}\n`;
}

/** `sim help CMD` and `sim CMD --help`: its usage line, what it does, its options and formats. */
export function commandHelp(c: CommandSpec): string {
  const out = [`usage: sim ${c.name}${c.args === '' ? '' : ` ${c.args}`} [options]`, ''];
  out.push(...wrap(c.description, WIDTH), '', 'options:');
  const rows = Object.entries(allOptions(c)).map(([name, o]) => {
    const head = `--${name}${o.short === undefined ? '' : `, -${o.short}`}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    return { head, help: `${o.help}${o.multiple === true && !/repeatable/.test(o.help) ? ' (repeatable)' : ''}` };
  });
  const col = Math.min(24, Math.max(...rows.map((r) => r.head.length)) + 4);
  for (const r of rows) {
    row(out, `  ${r.head}`, r.help, col);
  }
  out.push('', EXIT_STATUS);
  return `${out.join('\n')}\n`;
}

/** A two-column row: the head, then the text wrapped in the second column (under the head when it is too long). */
function row(out: string[], head: string, text: string, col: number): void {
  const lines = wrap(text, WIDTH - col).map((l) => ' '.repeat(col) + l);
  if (head.length + 2 <= col) lines[0] = head.padEnd(col) + lines[0]!.slice(col);
  else lines.unshift(head);
  out.push(...lines);
}
