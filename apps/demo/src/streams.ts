/**
 * What `sim` does when its output cannot be written. A closed pipe (`sim run … -f jsonl | head -1`): EPIPE ends
 * the command quietly, as other command-line tools end. Any other write error (a full disk, `> /dev/full`): one line
 * on stderr in coreutils' words (`sim: write error: No space left on device`) and exit 1.
 */
export function guardOutput(proc: Pick<NodeJS.Process, 'stdout' | 'stderr' | 'exit' | 'exitCode'>): void {
  const done = (code: number) => proc.exit(code);
  const exitCode = () => (typeof proc.exitCode === 'number' ? proc.exitCode : 0);
  proc.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') return done(exitCode());
    try {
      proc.stderr.write(`sim: write error: ${describeErrno(e)}\n`);
    } catch {
      // stderr is gone too: the exit status says it.
    }
    done(1);
  });
  // Nowhere left to say anything: end with the status (1 when stderr fails on its own, for a reason other than a
  // closed pipe).
  proc.stderr.on('error', (e: NodeJS.ErrnoException) =>
    done(e.code === 'EPIPE' ? exitCode() : Math.max(1, exitCode())),
  );
}

const WORDS: Readonly<Record<string, string>> = {
  ENOSPC: 'No space left on device',
  EIO: 'Input/output error',
  EBADF: 'Bad file descriptor',
  EDQUOT: 'Disk quota exceeded',
  EFBIG: 'File too large',
};

function describeErrno(e: NodeJS.ErrnoException): string {
  const code = e.code ?? '';
  return Object.hasOwn(WORDS, code) ? `${WORDS[code]} (${code})` : String(e.message);
}
