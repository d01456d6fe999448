import type { Io } from './io.ts';

// The exact codes format/style.ts writes (bold, dim, colours, reverse video, and their ends); nothing else that
// starts with ESC reaches a terminal.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the terminal codes being filtered
const CONTROL = /\u001b\[(?:1|2|22|31|32|33|35|36|39|7|27)m|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Text for a terminal: control characters that came from a scenario file (ESC starting a cursor move, a title or a
 * hyperlink, BEL, backspace, carriage return ...) are written as visible escapes (`\x1b`); newlines, tabs and the
 * colour codes of format/style.ts go through.
 */
export function neutralise(text: string): string {
  return text.replace(CONTROL, (c) => (c.length > 1 ? c : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/** A stream that neutralises what is written to it when it is a terminal; the stream itself otherwise. */
export function terminalSafe<S extends Io['stdout'] | Io['stderr']>(stream: S): S {
  if (stream.isTTY !== true) return stream;
  return new Proxy(stream, {
    get(target, prop, receiver) {
      if (prop === 'write') {
        return (chunk: unknown, ...rest: unknown[]) =>
          (target.write as (...a: unknown[]) => boolean)(
            typeof chunk === 'string' ? neutralise(chunk) : chunk,
            ...rest,
          );
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
