// Time to refuse a 1 MB scenario file full of problems, as a person runs it: a fresh `sim run FILE` process on the
// bundled dist/sim.js, output to a pipe. Three files of about 1 MB: YAML syntax errors, duplicate keys, unknown
// keys (the three that were quadratic: over 120 s, 10.9 s and 38 s at a fraction of this size). Each is run 5 times
// after a warm-up; the table gives the median and the best, with `node -e 0` for reference. Target: under 1 s.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const app = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 5;
const MB = 1024 * 1024;

function fill(head, line) {
  let out = head;
  for (let i = 0; out.length < MB; i++) out += line(i);
  return out;
}

const files = {
  'syntax errors': fill('steps: [ls /sys]\n', () => '  - : ]\n'),
  'duplicate keys': fill('steps: [ls /sys]\n', () => 'steps: 1\n'),
  'unknown keys': fill('steps: [ls /sys]\n', (i) => `key${i}: 1\n`),
};

const dir = mkdtempSync(join(tmpdir(), 'sim-bench-'));
function time(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: app, encoding: 'utf8', maxBuffer: 64 * MB });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, r };
}
function measure(label, args, expectStatus) {
  const warm = time(args);
  if (expectStatus !== undefined && warm.r.status !== expectStatus) {
    throw new Error(`${label}: exit ${warm.r.status}: ${warm.r.stderr.slice(0, 500)}`);
  }
  const samples = Array.from({ length: RUNS }, () => time(args).ms).sort((a, b) => a - b);
  const summary = warm.r.stderr.trim().split('\n').at(-1) ?? '';
  return { label, median: samples[Math.floor(RUNS / 2)], best: samples[0], summary };
}
try {
  const rows = [measure('node -e 0', ['-e', '0'])];
  for (const [label, text] of Object.entries(files)) {
    const path = join(dir, `${label.replace(/ /g, '-')}.yaml`);
    writeFileSync(path, text);
    rows.push({ ...measure(label, ['dist/sim.js', 'run', path], 2), bytes: Buffer.byteLength(text) });
  }
  console.log(`Node ${process.version}, ${RUNS} runs each after a warm-up\n`);
  console.log('| file | size | median | best | report |');
  console.log('| --- | ---: | ---: | ---: | --- |');
  for (const r of rows) {
    console.log(
      `| ${r.label} | ${r.bytes === undefined ? '' : `${(r.bytes / MB).toFixed(2)} MB`} | ${r.median.toFixed(0)} ms | ${r.best.toFixed(0)} ms | ${r.summary ?? ''} |`,
    );
  }
  const worst = Math.max(...rows.slice(1).map((r) => r.median));
  console.log(`\nslowest median ${(worst / 1000).toFixed(2)} s (target < 1 s): ${worst < 1000 ? 'met' : 'NOT met'}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
