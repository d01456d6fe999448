import { parseArgs } from 'node:util';
import { main } from './main.ts';

// The `sim` command. Everything lives in main.ts so tests can drive it in-process; this file only wires the
// process to it.
const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  parseArgs,
});
process.exitCode = code;
