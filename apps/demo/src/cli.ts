import { main } from './main.ts';
import { guardOutput } from './streams.ts';

// The `sim` command. main.ts runs the command table (commands/table.ts) so tests can drive it in-process; this file
// only wires the process to it (and decides what a closed pipe or a full disk does to it: streams.ts).
guardOutput(process);
const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
process.exitCode = code;
