// Time to refuse a 1 MB scenario file full of problems, as a person runs it: a fresh `sim run FILE` process on the
// bundled dist/sim.js (or the bundle named as the argument), output to a pipe. Four files of about 1 MB: YAML
// syntax errors, duplicate keys, unknown keys (the three that were quadratic: over 120 s, 10.9 s and 38 s at a
// fraction of this size), and a file that looks like a scenario but has a problem every few entries. Each is run 5
// times after a warm-up; the table gives the median and the best, with `node -e 0` for reference. Target: under 1 s.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const app = fileURLToPath(new URL('..', import.meta.url));
// The bundle to time (default dist/sim.js): another build's, to compare two versions under the same load.
const bin = process.argv[2] ?? 'dist/sim.js';
const RUNS = 5;
const MB = 1024 * 1024;

function fill(head, line) {
  let out = head;
  for (let i = 0; out.length < MB; i++) out += line(i);
  return out;
}

// A file that looks like a scenario but is wrong throughout: a machine of devices (block and flow mappings) and a
// list of steps, with an unknown key, an unknown bus or an expect that is no result every few entries.
const MIX_HEAD = [
  'name: big-machine',
  'description: a machine of many devices, written by hand',
  'profile: v4.12',
  'topology:',
  '  buses: [platform, pci]',
  '  devices:',
  '',
].join('\n');
function mixDevice(i) {
  const addr = `0000:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}.0`;
  return i % 3 === 0
    ? `    - bus: pci\n      address: ${addr}\n      vendor: 0x8086\n      device: 0x10d3\n      colour: blue\n`
    : i % 3 === 1
      ? `    - { bus: pcie, name: dev${i}, ids: ["8086:10d3"] }\n`
      : `    - bus: platform\n      name: dev${i}\n`;
}
function mixStep(i) {
  return i % 2 === 0
    ? `  - run: cat /sys/bus/pci/devices/0000:00:01.0/vendor\n    expect: banana\n`
    : `  - ls /sys/bus/platform/devices/dev${i}\n`;
}
function mix() {
  const half = MB / 2;
  let out = fill(MIX_HEAD, mixDevice).slice(0, half);
  out = out.slice(0, out.lastIndexOf('\n    - bus') + 1);
  out += 'steps:\n';
  for (let i = 0; out.length < MB; i++) out += mixStep(i);
  return out;
}

const files = {
  'syntax errors': fill('steps: [ls /sys]\n', () => '  - : ]\n'),
  'duplicate keys': fill('steps: [ls /sys]\n', () => 'steps: 1\n'),
  'unknown keys': fill('steps: [ls /sys]\n', (i) => `key${i}: 1\n`),
  'a scenario wrong throughout': mix(),
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
    rows.push({ ...measure(label, [bin, 'run', path], 2), bytes: Buffer.byteLength(text) });
  }
  console.log(`${bin}, Node ${process.version}, ${RUNS} runs each after a warm-up\n`);
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
