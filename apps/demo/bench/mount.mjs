// Latency of one attribute read through `sim mount` (open + read + close of a sysfs attribute, as `cat` does:
// median and p99 of 2000 reads after 200 warm-ups) against the same file in a `sim export` directory and in the
// machine's own /sys; and the wall time of `lspci -nnk` over a 256-function machine through the mount against the
// same over the exported directory (median of 10 runs after 2 warm-ups). Runs itself inside `unshare --mount` so
// the mount never shows on the host. Needs root, /dev/fuse, lspci. Command: node apps/demo/bench/mount.mjs
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const sim = fileURLToPath(new URL('../dist/sim.js', import.meta.url));

if (process.env.SIM_BENCH_NS !== '1') {
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', process.execPath, self], {
    stdio: 'inherit',
    env: { ...process.env, SIM_BENCH_NS: '1' },
  });
  process.exit(r.status ?? 1);
}

// 256 functions: 32 slots x 8 functions on bus 0, every other one bound to a driver.
const lines = ['description: 256 PCI functions for the mount benchmark', 'profile: v6.12', 'topology:', '  devices:'];
for (let slot = 0; slot < 32; slot++)
  for (let fn = 0; fn < 8; fn++)
    lines.push(
      `    - { bus: pci, address: "0000:00:${slot.toString(16).padStart(2, '0')}.${fn}", vendor: 0x8086, device: 0x${(0x1000 + slot * 8 + fn).toString(16)}, class: 0x020000, revision: 0x01 }`,
    );
lines.push(
  '  drivers:',
  '    - { name: bench-net, bus: pci, ids: [{ vendor: 0x8086, device: 0x1000 }, { vendor: 0x8086, device: 0x1002 }] }',
);
lines.push('steps:', '  - ls /sys/bus/pci/devices');
const work = mkdtempSync(join(tmpdir(), 'sim-bench-mount-'));
const file = join(work, 'machine.yaml');
writeFileSync(file, `${lines.join('\n')}\n`);
const mnt = join(work, 'mnt');
const exp = join(work, 'export');
spawnSync('mkdir', [mnt]);
const e = spawnSync(process.execPath, [sim, 'export', exp, file], { encoding: 'utf8' });
if (e.status !== 0) throw new Error(e.stderr);

const server = spawn(process.execPath, [sim, 'mount', mnt, file], { stdio: ['ignore', 'ignore', 'pipe'] });
for (let i = 0; i < 400 && !readFileSync('/proc/self/mounts', 'utf8').includes(` ${mnt} fuse`); i++) {
  await new Promise((r) => setTimeout(r, 25));
}

function readLatency(path, n = 2000) {
  for (let i = 0; i < 200; i++) readFileSync(path);
  const t = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    readFileSync(path);
    t.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  t.sort((a, b) => a - b);
  return { median: t[n / 2], p99: t[Math.floor(n * 0.99)] };
}

function wall(args, n = 10) {
  for (let i = 0; i < 2; i++) spawnSync('lspci', args);
  const t = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync('lspci', args, { encoding: 'utf8' });
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.stdout.split('\n').filter((l) => /^\S/.test(l)).length !== 256)
      throw new Error(`lspci ${args.join(' ')}: not 256 functions`);
  }
  t.sort((a, b) => a - b);
  return (t[n / 2 - 1] + t[n / 2]) / 2;
}

const attr = 'bus/pci/devices/0000:00:1f.7/vendor';
const rows = [
  ['sim mount (FUSE, live)', readLatency(join(mnt, attr))],
  ['sim export (plain directory)', readLatency(join(exp, attr))],
  ["this machine's /sys (kernel sysfs)", readLatency('/sys/bus/pci/devices/0000:00:00.0/vendor')],
];
const lsMount = wall(['-nnk', '-O', `sysfs.path=${mnt}/bus/pci`]);
const lsExport = wall(['-nnk', '-O', `sysfs.path=${exp}/bus/pci`]);
server.kill('SIGTERM');
await new Promise((r) => server.on('close', r));
rmSync(work, { recursive: true, force: true });

console.log(
  `Node ${process.version}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`,
);
console.log('| one attribute, open + read + close | median | p99 |');
console.log('| --- | ---: | ---: |');
for (const [label, r] of rows) console.log(`| ${label} | ${r.median.toFixed(1)} µs | ${r.p99.toFixed(1)} µs |`);
console.log('\n| `lspci -nnk`, 256 functions | median wall |');
console.log('| --- | ---: |');
console.log(`| through sim mount | ${lsMount.toFixed(1)} ms |`);
console.log(`| over a sim export directory | ${lsExport.toFixed(1)} ms |`);
console.log(`| ratio mount / export | ${(lsMount / lsExport).toFixed(2)}x |`);
