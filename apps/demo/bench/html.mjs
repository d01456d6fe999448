// The html report: the seed's page sizes, and a 3,000-step run opened and stepped through in Debian's Chromium
// (playwright-core). The 3,000 steps give 0000:01:00.1 back and forth between snd_hda_intel and vfio-pci on the
// seed's machine, with a cat of its driver link in between. Times are wall clock on a shared machine: noisy.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const app = fileURLToPath(new URL('..', import.meta.url));
const { chromium } = createRequire(join(app, 'package.json'))('playwright-core');
const STEPS = 3000;
const dir = mkdtempSync(join(tmpdir(), 'sim-html-bench-'));

function sim(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [join(app, 'dist/sim.js'), ...args], { cwd: app, maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 1) throw new Error(`sim ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { out: r.stdout, ms };
}

// A 3,000-step scenario: the seed's machine and drivers, the audio function handed back and forth.
const seed = readFileSync(join(app, 'scenarios/seed.yaml'), 'utf8');
const head = seed.slice(0, seed.indexOf('\nsteps:'));
const cycle = [
  'echo 0000:01:00.1 > /sys/bus/pci/drivers/snd_hda_intel/unbind',
  'echo vfio-pci > /sys/bus/pci/devices/0000:01:00.1/driver_override',
  'echo 0000:01:00.1 > /sys/bus/pci/drivers_probe',
  'readlink /sys/bus/pci/devices/0000:01:00.1/driver',
  'echo 0000:01:00.1 > /sys/bus/pci/drivers/vfio-pci/unbind',
  'echo > /sys/bus/pci/devices/0000:01:00.1/driver_override',
  'echo 0000:01:00.1 > /sys/bus/pci/drivers/snd_hda_intel/bind',
  'readlink /sys/bus/pci/devices/0000:01:00.1/driver',
];
const steps = Array.from({ length: STEPS }, (_, i) => `  - ${cycle[i % cycle.length]}`);
const big = join(dir, 'big.yaml');
writeFileSync(
  big,
  `${head.replace(/^description: >-\n( {2}.*\n)+/m, 'description: 3,000 steps on the seed machine.\n')}\nsteps:\n${steps.join('\n')}\n`,
);

const rows = [];
for (const [label, args] of [
  ['sim run seed --profile v4.12 --format html', ['run', 'seed', '--profile', 'v4.12', '--format', 'html']],
  ['sim compare seed --format html (4 profiles)', ['compare', 'seed', '--format', 'html']],
  [`sim run <${STEPS} steps> --profile v4.12 --format html`, ['run', big, '--profile', 'v4.12', '--format', 'html']],
]) {
  const { out, ms } = sim(args);
  const file = join(dir, `${rows.length}.html`);
  writeFileSync(file, out);
  rows.push({ label, bytes: out.length, genMs: ms, file });
}

const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
  viewport: { width: 1400, height: 1000 },
});
const page = await context.newPage();
const bigRow = rows.at(-1);
const t0 = performance.now();
await page.goto(pathToFileURL(bigRow.file).href, { waitUntil: 'load' });
await page.locator('.steplist button[aria-current="step"]').waitFor();
const openMs = performance.now() - t0;
// Every step by the → key (a keydown on the document, as a person presses it), the layout forced after each.
const stepping = await page.evaluate((n) => {
  const times = [];
  for (let i = 1; i < n; i++) {
    const t = performance.now();
    document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    void document.body.offsetHeight;
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const cur = document.querySelector('.steplist button[aria-current="step"]').getAttribute('data-step');
  return {
    total: times.reduce((a, b) => a + b, 0),
    median: times[times.length >> 1],
    p99: times[Math.floor(times.length * 0.99)],
    max: times.at(-1),
    at: Number(cur),
  };
}, STEPS);
if (stepping.at !== STEPS - 1) throw new Error(`the stepper stopped at step ${stepping.at + 1}`);
// Twenty real key presses through the browser (input event, script, layout, paint), for the felt latency.
const t1 = performance.now();
for (let i = 0; i < 20; i++) await page.keyboard.press('ArrowLeft');
const pressMs = (performance.now() - t1) / 20;
await context.close();
rmSync(dir, { recursive: true, force: true });

for (const r of rows) console.log(`${r.label}: ${r.bytes} bytes, written in ${r.genMs.toFixed(0)} ms`);
console.log(`${STEPS}-step page: opened (load + first draw) in ${openMs.toFixed(0)} ms`);
console.log(
  `stepped through all ${STEPS} steps with → in ${stepping.total.toFixed(0)} ms: median ${stepping.median.toFixed(2)} ms, p99 ${stepping.p99.toFixed(2)} ms, max ${stepping.max.toFixed(2)} ms per step (script + layout)`,
);
console.log(`a real key press (input to paint, through playwright): ${pressMs.toFixed(1)} ms`);
