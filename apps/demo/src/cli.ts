import { main } from './main.ts';

// The `sim` command. main.ts runs the command table (commands/table.ts) so tests can drive it in-process; this file
// only wires the process to it.
const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
process.exitCode = code;
