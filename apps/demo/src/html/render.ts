import { createHash } from 'node:crypto';
import { pageScript } from '../page-bundle.ts';
import { PAGE_CSS } from './css.ts';
import type { PageData } from './data.ts';

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The page's Content-Security-Policy: nothing but its own script and stylesheet, by hash. */
export function pagePolicy(script: string, css: string): string {
  return `default-src 'none'; script-src ${sha256(script)}; style-src ${sha256(css)}; base-uri 'none'; form-action 'none'`;
}

/**
 * One self-contained html file: the data as JSON in a non-executed script element, the page's script and
 * stylesheet inline and hashed into a Content-Security-Policy meta tag. Nothing is loaded from anywhere.
 */
export function renderHtml(data: PageData): string {
  const script = pageScript();
  if (/<\/script/i.test(script)) throw new Error('the page script contains </script; it cannot be inlined');
  // JSON in html: `<` escaped so no `</script>` or `<!--` can end the element early.
  const json = JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="${pagePolicy(script, PAGE_CSS)}">`,
    '<meta name="referrer" content="no-referrer">',
    `<title>${escapeHtml(data.title)}</title>`,
    `<style>${PAGE_CSS}</style>`,
    '</head>',
    '<body>',
    `<noscript><p>This page shows ${escapeHtml(data.title)}; it needs JavaScript to draw it. The same data is in <code>sim … --format json</code>.</p></noscript>`,
    '<div id="app"></div>',
    `<script type="application/json" id="sim-data">${json}</script>`,
    `<script>${script}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
