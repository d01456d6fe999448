import { errname } from '@sim/core';

/** ANSI styles, or identity functions when colour is off. */
export interface Style {
  readonly enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  magenta(s: string): string;
  /** The highlight of a difference (reverse video). */
  mark(s: string): string;
}

const wrapWith = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
const id = (s: string) => s;

/** Styles that emit ANSI codes when `enabled`. */
export function makeStyle(enabled: boolean): Style {
  if (!enabled) {
    return { enabled, bold: id, dim: id, red: id, green: id, yellow: id, cyan: id, magenta: id, mark: (s) => s };
  }
  return {
    enabled,
    bold: wrapWith(1, 22),
    dim: wrapWith(2, 22),
    red: wrapWith(31, 39),
    green: wrapWith(32, 39),
    yellow: wrapWith(33, 39),
    cyan: wrapWith(36, 39),
    magenta: wrapWith(35, 39),
    mark: wrapWith(7, 27),
  };
}

/**
 * Colour on a terminal only: `--color`/`--no-color` win, then NO_COLOR (any non-empty value turns colour off, as
 * no-color.org says), then FORCE_COLOR, then whether the stream is a TTY.
 */
export function colourWanted(
  stream: { isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
  flag: boolean | null,
): boolean {
  if (flag !== null) return flag;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** Visible length of a string that may hold ANSI codes. */
export function visible(s: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what we strip
  return s.replace(/\u001b\[[0-9;]*m/g, '').length;
}

/** Pads to a visible width. */
export function pad(s: string, width: number): string {
  const n = visible(s);
  return n >= width ? s : s + ' '.repeat(width - n);
}

/** Cuts to a visible width (plain strings only), marking the cut with '…'. */
export function cut(s: string, width: number): string {
  return s.length <= width ? s : `${s.slice(0, Math.max(0, width - 1))}…`;
}

/** Word-wraps plain text to `width` columns; continuation lines get `indent`. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      out.push(line);
      line = indent + word;
    }
  }
  out.push(line);
  // A single word longer than the width is split hard.
  return out.flatMap((l) => {
    const parts: string[] = [];
    let rest = l;
    while (rest.length > width) {
      parts.push(rest.slice(0, width));
      rest = indent + rest.slice(width);
    }
    parts.push(rest);
    return parts;
  });
}

/**
 * A notifier answer in the kernel's words: NOTIFY_DONE, NOTIFY_OK, NOTIFY_BAD, NOTIFY_STOP,
 * notifier_from_errno(-EBUSY), a raw errno `-16 (EBUSY)`, or the number.
 */
export function notifyName(ret: number): string {
  switch (ret) {
    case 0:
      return 'NOTIFY_DONE';
    case 1:
      return 'NOTIFY_OK';
    case 0x8002:
      return 'NOTIFY_BAD';
    case 0x8001:
      return 'NOTIFY_STOP';
  }
  if (ret < 0) {
    const e = errname(ret);
    return e === undefined ? String(ret) : `${ret} (${e})`;
  }
  if ((ret & 0x8000) !== 0 && (ret & 0x7fff) > 1) {
    const e = errname(-((ret & 0x7fff) - 1));
    if (e !== undefined) return `notifier_from_errno(-${e})`;
  }
  return `0x${ret.toString(16)}`;
}

/** True for an answer that does not say "fine": anything but NOTIFY_DONE and NOTIFY_OK. */
export function notable(ret: number): boolean {
  return ret !== 0 && ret !== 1;
}
