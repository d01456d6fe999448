// Renders Mermaid diagrams in Chromium; see check-mermaid.sh. Arguments: the node_modules holding mermaid and
// playwright-core, and optionally a directory to write one PNG per diagram into (to look at them).
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [modules, shots] = process.argv.slice(2);
const require = createRequire(join(modules, 'x.js'));
const { chromium } = require('playwright-core');
const mermaidJs = join(modules, 'mermaid', 'dist', 'mermaid.min.js');
const app = fileURLToPath(new URL('..', import.meta.url));
const sim = (...args) => execFileSync(process.execPath, [join(app, 'dist/sim.js'), ...args], { encoding: 'utf8' });

const diagrams = [];
for (const { name, profiles } of JSON.parse(sim('list', '--format', 'json')).scenarios) {
  for (const profile of profiles) {
    let text;
    try {
      text = sim('run', name, '--profile', profile, '--format', 'mermaid');
    } catch (e) {
      text = e.stdout; // a run whose expectations fail still prints its diagram
    }
    diagrams.push({ id: `${name} [${profile}]`, text });
  }
}

const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'sim-chromium-')), {
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
  viewport: { width: 1400, height: 900 },
});
const page = await browser.newPage();
await page.setContent('<!doctype html><html><body><div id="out"></div></body></html>');
await page.addScriptTag({ path: mermaidJs });
await page.evaluate(() => globalThis.mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' }));
let failed = 0;
for (const [i, d] of diagrams.entries()) {
  const result = await page.evaluate(
    async ({ text, n }) => {
      try {
        await globalThis.mermaid.parse(text);
        const { svg } = await globalThis.mermaid.render(`d${n}`, text);
        document.getElementById('out').innerHTML = svg;
        return { ok: true, size: svg.length, version: globalThis.mermaid.version ?? '' };
      } catch (e) {
        return { ok: false, error: String(e?.message ?? e) };
      }
    },
    { text: d.text, n: i },
  );
  if (result.ok) {
    console.log(`ok ${i + 1} ${d.id}: ${result.size} bytes of SVG`);
    if (shots) await page.locator('#out').screenshot({ path: join(shots, `${d.id.replace(/[^\w.+-]+/g, '_')}.png`) });
  } else {
    failed++;
    console.log(`not ok ${i + 1} ${d.id}: ${result.error}`);
  }
}
await browser.close();
console.log(`${diagrams.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
