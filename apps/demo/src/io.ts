/** Where the command reads and writes; the process's streams, or a test's. */
export interface Io {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where relative scenario and --plugin paths start (default: the process's working directory). */
  readonly cwd?: string;
}

/** Exit codes: success, a failed expectation, bad input (nothing was run). */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
