import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** The largest scenario file read: far above any real one (the built-in ones are under 10 KB). */
export const MAX_SCENARIO_BYTES = 4 * 1024 * 1024;

export type ReadResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly missing: boolean; readonly message: string };

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  ENOTDIR: 'a component of the path is not a directory',
  ENAMETOOLONG: 'the file name is too long (ENAMETOOLONG: at most 255 bytes per path component)',
  EACCES: 'permission denied',
  ELOOP: 'too many symbolic links',
};

/**
 * Reads a scenario file: a regular file only (a directory, a FIFO or a device such as /dev/zero is refused before
 * anything is read, so nothing blocks or grows without end), at most MAX_SCENARIO_BYTES, and valid UTF-8.
 */
export function readScenarioFile(path: string, shown: string): ReadResult {
  const fail = (message: string, missing = false): ReadResult => ({ ok: false, missing, message });
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    return fail(`cannot read '${shown}': ${REASONS[code] ?? String((e as Error).message)}`, code === 'ENOENT');
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      const kind = st.isDirectory()
        ? 'a directory'
        : st.isFIFO()
          ? 'a FIFO (named pipe)'
          : st.isCharacterDevice() || st.isBlockDevice()
            ? 'a device'
            : st.isSocket()
              ? 'a socket'
              : 'not a regular file';
      return fail(`'${shown}' is ${kind}; name a scenario file (a regular YAML file)`);
    }
    if (st.size > MAX_SCENARIO_BYTES) {
      return fail(
        `'${shown}' is ${st.size} bytes, over the ${MAX_SCENARIO_BYTES / 1024 / 1024} MiB limit of a scenario file; split it, or name a smaller one`,
      );
    }
    // Read at most one byte past the cap, whatever the size said (a file that grows while read).
    const buf = Buffer.alloc(Math.min(st.size, MAX_SCENARIO_BYTES) + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n === buf.length) break;
    }
    if (n > MAX_SCENARIO_BYTES) {
      return fail(`'${shown}' grew past the ${MAX_SCENARIO_BYTES / 1024 / 1024} MiB limit of a scenario file`);
    }
    const bytes = buf.subarray(0, n);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      const at = firstInvalidUtf8(bytes);
      return fail(`'${shown}' is not valid UTF-8 (line ${at.line}, byte ${at.offset} of the file); save it as UTF-8`);
    }
    return { ok: true, text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
  } finally {
    closeSync(fd);
  }
}

/** Where the first byte sequence that is not UTF-8 starts: its line (1-based) and byte offset. */
function firstInvalidUtf8(b: Uint8Array): { line: number; offset: number } {
  let line = 1;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const len = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
    if (len === 0 || i + len > b.length) return { line, offset: i };
    if (len > 1) {
      try {
        decoder.decode(b.subarray(i, i + len));
      } catch {
        return { line, offset: i };
      }
    }
    if (c === 0x0a) line++;
    i += len;
  }
  return { line, offset: i };
}
