/**
 * The page's stylesheet (inlined, hashed into the page's Content-Security-Policy). System fonts only (no web
 * fonts); sizes in rem so that 200 % zoom and a narrow window reflow instead of clipping. Colour always comes with
 * a word or a sign (viable ✓ / NOT viable ✗, honoured, differs ≠).
 */
export const PAGE_CSS = `
:root { color-scheme: light dark; --fg: #1b1b1b; --bg: #fdfdfc; --muted: #555; --line: #c9c9c9; --panel: #f3f3f1;
  --ok: #11642e; --ok-bg: #e3f4e8; --bad: #a4161a; --bad-bg: #fde8e8; --warn: #7a4b00; --warn-bg: #fff3d6;
  --accent: #0b57d0; --cur: #dbe7fb; }
@media (prefers-color-scheme: dark) { :root { --fg: #ececec; --bg: #161616; --muted: #b0b0b0; --line: #4a4a4a;
  --panel: #222; --ok: #8fe0a8; --ok-bg: #163322; --bad: #ffa4a4; --bad-bg: #3d1a1a; --warn: #ffd27a;
  --warn-bg: #3a2e12; --accent: #8ab4f8; --cur: #22354f; } }
* { box-sizing: border-box; }
body { margin: 0; font: 1rem/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
  background: var(--bg); }
code { overflow-wrap: anywhere; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.9rem; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0.25rem 0; }
header, main, footer { padding: 0.75rem 1rem; }
header { border-bottom: 1px solid var(--line); }
h1 { font-size: 1.4rem; margin: 0 0 0.25rem; }
h2 { font-size: 1.15rem; margin: 0.5rem 0; }
h3 { font-size: 1rem; margin: 0.75rem 0 0.25rem; }
a { color: var(--accent); }
.muted { color: var(--muted); }
.layout { display: grid; grid-template-columns: minmax(min(100%, 17rem), 22rem) minmax(0, 1fr); gap: 1rem; }
@media (max-width: 50rem) { .layout { grid-template-columns: minmax(0, 1fr); } }
.steps-panel { position: sticky; top: 0; align-self: start; }
ol.steplist { max-height: 60vh; overflow: auto; border: 1px solid var(--line); border-radius: 0.3rem; }
@media (max-width: 50rem) { .steps-panel { position: static; } ol.steplist { max-height: 16rem; } }
.stepper { display: flex; flex-wrap: wrap; gap: 0.35rem; align-items: center; margin-bottom: 0.5rem; }
button, select, textarea, input { font: inherit; color: inherit; }
button { background: var(--panel); border: 1px solid var(--line); border-radius: 0.3rem; padding: 0.25rem 0.6rem;
  cursor: pointer; }
button:hover { border-color: var(--accent); }
button:disabled { opacity: 0.55; cursor: default; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.pos { display: block; font-weight: 600; overflow-wrap: anywhere; margin-bottom: 0.5rem; }
ol.steplist { list-style: none; margin: 0; padding: 0; }
ol.steplist li { margin: 0; }
/* A long run (hundreds of steps): off-screen rows skip layout and paint. */
ol.steplist.long li { content-visibility: auto; contain-intrinsic-size: auto 2.6rem; }
ol.steplist button { width: 100%; text-align: left; border: 0; border-left: 0.3rem solid transparent;
  background: transparent; border-radius: 0; padding: 0.2rem 0.4rem; overflow-wrap: anywhere; }
ol.steplist button[aria-current="step"] { background: var(--cur); border-left-color: var(--accent); font-weight: 600; }
.num { display: inline-block; min-width: 2.2rem; color: var(--muted); }
.tag { display: inline-block; border: 1px solid currentColor; border-radius: 0.25rem; padding: 0 0.3rem;
  font-size: 0.8rem; margin-left: 0.3rem; white-space: nowrap; }
.tag.bad, .bad-text { color: var(--bad); }
.tag.ok, .ok-text { color: var(--ok); }
.tag.warn { color: var(--warn); }
.runs { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 24rem), 1fr)); gap: 1rem; }
.run { border: 1px solid var(--line); border-radius: 0.4rem; padding: 0.5rem 0.75rem; min-width: 0; contain: layout; }
.run > h2 { margin-top: 0; }
.result { font-size: 1.05rem; }
.result output { font-weight: 700; }
.alert { border: 2px solid var(--bad); background: var(--bad-bg); border-radius: 0.3rem; padding: 0.4rem 0.6rem; }
.groups { display: grid; gap: 0.5rem; }
.group { border: 2px solid var(--line); border-radius: 0.4rem; padding: 0.35rem 0.6rem; }
.group.viable { border-color: var(--ok); background: var(--ok-bg); }
.group.not-viable { border-color: var(--bad); background: var(--bad-bg); border-style: dashed; }
.group h4 { margin: 0 0 0.25rem; font-size: 0.95rem; }
ul.devs { list-style: none; margin: 0; padding: 0; }
ul.devs ul.devs { padding-left: 1.1rem; border-left: 1px dotted var(--line); }
ul.devs li { margin: 0.15rem 0; overflow-wrap: anywhere; }
.drv { font-weight: 600; }
ol.calls { margin: 0; padding-left: 1.3rem; }
ol.calls li { margin: 0.2rem 0; overflow-wrap: anywhere; }
ol.calls li.nested { margin-left: calc(var(--depth, 1) * 1rem); }
.calls .blocks { margin: 0.1rem 0 0.1rem 0.5rem; padding-left: 0.75rem; }
.outcome-honoured { color: var(--ok); font-weight: 600; }
.outcome-ignored { color: var(--warn); font-weight: 600; }
.outcome-propagated { color: var(--accent); font-weight: 600; }
.dmesg { max-height: 18rem; overflow: auto; background: var(--panel); padding: 0.4rem; border-radius: 0.3rem; }
.expect li { overflow-wrap: anywhere; }
.whatif form { display: grid; gap: 0.5rem; grid-template-columns: repeat(auto-fit, minmax(min(100%, 14rem), 1fr));
  align-items: end; }
.whatif label { display: grid; gap: 0.15rem; }
.whatif textarea { grid-column: 1 / -1; min-height: 4rem; width: 100%; }
.whatif .full { grid-column: 1 / -1; }
.wi-out { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 20rem), 1fr)); gap: 0.75rem;
  margin-top: 0.75rem; }
.explain pre { background: var(--panel); padding: 0.5rem; border-radius: 0.3rem; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid var(--line); padding: 0.25rem 0.4rem; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; }
.table-wrap { overflow-x: auto; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
