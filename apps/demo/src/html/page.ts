/// <reference lib="dom" />
// The html page's script, bundled for the browser (see tsup.config.ts). It draws the data the command embedded and
// runs the in-page what-if with the same @sim/core (and the same scenario loader and replay) the command runs.
import type { ChainCallJson } from '../format/calls.ts';
import { loadScenario } from '../scenario/load.ts';
import type { DeviceState, MachineState } from '../whatif/state.ts';
import { formatWhatIf, type WhatIfResult, whatIf } from '../whatif/whatif.ts';
import type { PageData, PageRun, PageStep } from './data.ts';

type Child = Node | string | null | undefined | false;

/** Creates an element: attributes (`class`, `data-*`, aria-*) and children (text is always text, never markup). */
function h(
  tag: string,
  attrs: Record<string, string | number | boolean | undefined> = {},
  ...children: Child[]
): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

const data = JSON.parse(document.getElementById('sim-data')!.textContent!) as PageData;
const app = document.getElementById('app')!;
const nSteps = Math.max(0, ...data.runs.map((r) => r.steps.length));
let current = Math.min(Math.max(0, data.openAt), Math.max(0, nSteps - 1));

const viableText = (v: boolean | null) => (v === null ? '' : v ? '✓ viable' : '✗ NOT viable');

// --- header ----------------------------------------------------------------------------------------------------

function header(): HTMLElement {
  const kindText = { run: 'run', compare: 'comparison', explain: 'explanation', audit: 'audit' }[data.kind];
  const hd = h('header', {}, h('h1', {}, data.title), h('p', { class: 'muted' }, `sim ${kindText}`));
  if (data.scenario !== null) {
    hd.append(
      h('p', {}, data.scenario.description),
      h('p', { class: 'muted' }, `Scenario file: `, h('code', {}, data.scenario.file)),
    );
  }
  if (data.runs.length > 0) {
    const list = h('ul', { class: 'expect' });
    for (const r of data.runs) {
      const failed = r.expectations.filter((e) => !e.ok);
      const li = h(
        'li',
        {},
        h('strong', {}, r.profile),
        ` (base ${r.base}${r.flags.length > 0 ? `, flags ${r.flags.join(', ')}` : ''}): `,
        r.expectations.length === 0
          ? 'no expectations'
          : failed.length === 0
            ? h('span', { class: 'ok-text' }, `✓ all ${r.expectations.length} expectations held`)
            : h('span', { class: 'bad-text' }, `✗ ${failed.length} of ${r.expectations.length} expectations failed`),
        r.oops === null ? '' : h('span', { class: 'tag bad' }, `oops: ${r.oops.message}`),
      );
      if (failed.length > 0) {
        const ul = h('ul', {});
        for (const e of failed) ul.append(h('li', {}, `line ${e.line}: ${e.message}`));
        li.append(ul);
      }
      list.append(li);
    }
    hd.append(list);
  }
  return hd;
}

// --- the machine ------------------------------------------------------------------------------------------------

function deviceTree(devs: readonly DeviceState[], showBus: boolean): HTMLElement {
  const names = new Set(devs.map((d) => d.name));
  const children = new Map<string | null, DeviceState[]>();
  for (const d of devs) {
    const p = d.parent !== null && names.has(d.parent) ? d.parent : null;
    if (!children.has(p)) children.set(p, []);
    children.get(p)!.push(d);
  }
  const list = (parent: string | null): HTMLElement => {
    const ul = h('ul', { class: 'devs' });
    for (const d of children.get(parent) ?? []) {
      const li = h(
        'li',
        { 'data-device': d.name },
        h('code', {}, d.name),
        showBus ? h('span', { class: 'muted' }, ` (${d.bus})`) : '',
        ' — ',
        d.driver === null ? h('span', { class: 'muted' }, 'no driver') : h('span', { class: 'drv' }, d.driver),
        d.viable === null ? '' : h('span', { class: `tag ${d.viable ? 'ok' : 'bad'}` }, viableText(d.viable)),
      );
      if (d.viable === false && d.reason !== null) li.append(h('div', { class: 'muted' }, d.reason));
      if (children.has(d.name)) li.append(list(d.name));
      ul.append(li);
    }
    return ul;
  };
  return list(null);
}

function machine(state: MachineState): HTMLElement {
  const wrap = h('div', { class: 'groups' });
  const buses = new Set(state.devices.map((d) => d.bus));
  const showBus = buses.size > 1;
  const byName = new Map(state.devices.map((d) => [d.name, d]));
  for (const g of state.groups) {
    const cls = g.viable === null ? '' : g.viable ? ' viable' : ' not-viable';
    const devs = g.devices.map((n) => byName.get(n)).filter((d): d is DeviceState => d !== undefined);
    wrap.append(
      h(
        'section',
        { class: `group${cls}`, 'aria-label': `IOMMU group ${g.id}`, 'data-group': g.id },
        h(
          'h4',
          {},
          `IOMMU group ${g.id}`,
          g.viable === null ? '' : h('span', { class: `tag ${g.viable ? 'ok' : 'bad'}` }, viableText(g.viable)),
          g.live ? h('span', { class: 'tag warn' }, 'live: userspace owns it') : '',
        ),
        h('div', { class: 'muted' }, `Owner: ${g.owner}`),
        deviceTree(devs, showBus),
      ),
    );
  }
  const grouped = new Set(state.groups.flatMap((g) => g.devices));
  const rest = state.devices.filter((d) => !grouped.has(d.name));
  if (rest.length > 0) {
    wrap.append(
      h(
        'section',
        { class: 'group', 'aria-label': state.groups.length > 0 ? 'Devices in no IOMMU group' : 'Devices' },
        h('h4', {}, state.groups.length > 0 ? 'In no IOMMU group' : `Devices (${[...buses].join(', ')})`),
        deviceTree(rest, showBus),
      ),
    );
  }
  if (state.devices.length === 0) wrap.append(h('p', { class: 'muted' }, 'No devices.'));
  return wrap;
}

// --- one step of one run -----------------------------------------------------------------------------------------

function calls(list: readonly ChainCallJson[]): HTMLElement {
  if (list.length === 0) return h('p', { class: 'muted' }, 'No notifier chain was called.');
  const ol = h('ol', { class: 'calls' });
  for (const c of list) {
    const li = h(
      'li',
      {
        'data-testid': 'call',
        'data-chain': c.chain,
        'data-event': c.event,
        'data-answer': c.answerName ?? 'died',
        'data-depth': c.depth,
        class: c.depth > 0 ? 'nested' : undefined,
      },
      h('span', { class: 'mono' }, `${c.caller ?? 'sim'}()`),
      ' called ',
      h('strong', {}, c.chain),
      ' with ',
      h('code', {}, c.event),
      c.device === null ? '' : h('span', {}, ' for ', h('code', {}, c.device)),
    );
    if (c.blocks.length > 0) {
      const ul = h('ul', { class: 'blocks' });
      for (const b of c.blocks)
        ul.append(h('li', {}, h('code', {}, b.block), ' answered ', h('code', {}, b.answerName)));
      li.append(ul);
    }
    li.append(
      h(
        'div',
        {},
        c.answerName === null
          ? h('span', { class: 'bad-text' }, '✗ the task died inside this call (oops)')
          : h('span', {}, 'chain returned ', h('code', {}, c.answerName)),
        c.stoppedBy === null
          ? ''
          : `; stopped by ${c.stoppedBy}${c.skipped.length > 0 ? ` (not called: ${c.skipped.join(', ')})` : ''}`,
      ),
    );
    if (c.outcome !== null) {
      li.append(
        h('div', {}, 'The caller ', h('span', { class: `outcome-${c.outcome}` }, c.outcome), ' it: ', c.effect ?? ''),
      );
    }
    ol.append(li);
  }
  return ol;
}

function runStep(run: PageRun, i: number, differs: boolean): HTMLElement[] {
  const s: PageStep | undefined = run.steps[i];
  const out: HTMLElement[] = [];
  if (s === undefined) {
    out.push(
      h(
        'p',
        { class: 'muted' },
        nSteps === 0 ? 'The scenario has no steps: the machine after the boot.' : 'This run has no such step.',
      ),
    );
    out.push(h('h3', {}, 'Machine'), machine(run.states[run.bootState]!));
    return out;
  }
  out.push(
    h(
      'p',
      {},
      h('span', { class: 'muted' }, `Step ${i + 1} (line ${s.line}): `),
      h('code', {}, s.text),
      differs ? h('span', { class: 'tag warn' }, '≠ differs between profiles') : '',
    ),
    h(
      'p',
      { class: 'result' },
      'Returns ',
      h(
        'output',
        { 'data-testid': 'result', class: s.result !== null && s.result >= 0 ? 'ok-text' : 'bad-text' },
        s.resultText,
      ),
    ),
  );
  if (s.output !== null) out.push(h('h3', {}, 'Printed'), h('pre', { 'data-testid': 'output' }, s.output));
  if (s.oops && run.oops !== null) {
    out.push(
      h(
        'div',
        { class: 'alert', role: 'alert', 'data-testid': 'oops' },
        h('strong', {}, `✗ Oops: ${run.oops.message}`),
        h('div', {}, `at ${run.oops.where}`),
        h('pre', {}, run.oops.callPath.map((f, k) => `${' '.repeat(k * 2)}${f}`).join('\n')),
      ),
    );
  }
  out.push(h('h3', {}, 'Machine after this step'), machine(run.states[s.state]!));
  out.push(h('h3', {}, 'Chain calls'), calls(s.calls));
  if (s.writes.length > 0) {
    const ul = h('ul', {});
    for (const w of s.writes)
      ul.append(
        h(
          'li',
          { 'data-testid': 'write' },
          h('code', {}, `${JSON.stringify(w.text)} > ${w.path}`),
          ` returned ${w.ret}`,
        ),
      );
    out.push(h('h3', {}, 'sysfs writes'), ul);
  }
  const all = run.dmesg.slice(0, s.dmesgTo);
  const shown = all.slice(-300);
  out.push(h('h3', {}, `dmesg so far (${all.length} line${all.length === 1 ? '' : 's'})`));
  if (all.length > shown.length)
    out.push(h('p', { class: 'muted' }, `… ${all.length - shown.length} earlier lines not shown`));
  out.push(h('pre', { class: 'dmesg', tabindex: 0, 'aria-label': `dmesg under ${run.profile}` }, shown.join('\n')));
  return out;
}

// --- the stepper -------------------------------------------------------------------------------------------------

const runSections: HTMLElement[] = [];
const stepButtons: HTMLElement[] = [];
let pos: HTMLElement;
const differs = new Set(data.differs);
const controls: Record<string, HTMLButtonElement> = {};

function show(i: number, focus = false): void {
  if (nSteps > 0) i = Math.min(Math.max(0, i), nSteps - 1);
  stepButtons[current]?.removeAttribute('aria-current');
  current = i;
  const btn = stepButtons[i];
  btn?.setAttribute('aria-current', 'step');
  btn?.scrollIntoView({ block: 'nearest' });
  if (focus) btn?.focus();
  data.runs.forEach((run, k) => {
    const sec = runSections[k]!;
    sec.replaceChildren(h('h2', {}, run.profile), ...runStep(run, i, differs.has(i)));
    // dmesg "so far": its newest lines in view.
    const log = sec.querySelector('pre.dmesg');
    if (log !== null) log.scrollTop = log.scrollHeight;
  });
  const step = data.runs[0]?.steps[i];
  pos.textContent = nSteps === 0 ? 'No steps' : `Step ${i + 1} of ${nSteps}${step ? `: ${step.text}` : ''}`;
  controls.first!.disabled = controls.prev!.disabled = i <= 0;
  controls.next!.disabled = controls.last!.disabled = i >= nSteps - 1;
  if (whatIfAfter !== null)
    whatIfAfter.textContent = `Tried on the machine after step ${i + 1} (the step shown above), under ${data.whatIfProfiles.join(', ')}.`;
}

function stepsPanel(): HTMLElement {
  const mk = (id: string, label: string, aria: string, go: () => number) => {
    const b = h('button', { type: 'button', id, 'aria-label': aria }, label) as HTMLButtonElement;
    b.addEventListener('click', () => show(go()));
    controls[id] = b;
    return b;
  };
  pos = h('span', { class: 'pos', 'aria-live': 'polite', id: 'pos' });
  const stepper = h(
    'div',
    { class: 'stepper', role: 'group', 'aria-label': 'Step through the run' },
    mk('first', '« First', 'First step', () => 0),
    mk('prev', '◀ Previous', 'Previous step', () => current - 1),
    mk('next', 'Next ▶', 'Next step', () => current + 1),
    mk('last', 'Last »', 'Last step', () => nSteps - 1),
  );
  const panel = h(
    'nav',
    { class: 'steps-panel', 'aria-labelledby': 'steps-h' },
    h('h2', { id: 'steps-h' }, 'Steps'),
    stepper,
    pos,
  );
  if (data.kind === 'compare') {
    const b = h(
      'button',
      { type: 'button', id: 'first-diff', disabled: data.firstDifference < 0 },
      data.firstDifference < 0
        ? 'No step differs'
        : `≠ Jump to the first difference (step ${data.firstDifference + 1})`,
    ) as HTMLButtonElement;
    b.addEventListener('click', () => show(data.firstDifference, true));
    panel.append(h('p', {}, b));
  }
  panel.append(h('p', { class: 'muted' }, 'Keys: ← and → step, Home and End jump to the first and last step.'));
  const ol = h('ol', { class: nSteps > 200 ? 'steplist long' : 'steplist', 'aria-label': 'Steps of the scenario' });
  const first = data.runs[0];
  for (let i = 0; i < nSteps; i++) {
    const s = first?.steps[i];
    const b = h(
      'button',
      { type: 'button', 'data-step': i },
      h('span', { class: 'num' }, `${i + 1}.`),
      s?.text ?? '',
      differs.has(i)
        ? h('span', { class: 'tag warn' }, i === data.firstDifference ? '≠ first difference' : '≠ differs')
        : '',
      data.runs.some((r) => r.steps[i]?.oops) ? h('span', { class: 'tag bad' }, '✗ oops') : '',
    );
    b.addEventListener('click', () => show(i));
    stepButtons.push(b);
    ol.append(h('li', {}, b));
  }
  panel.append(ol);
  return panel;
}

document.addEventListener('keydown', (e) => {
  const t = e.target as HTMLElement | null;
  if (t !== null && (t.closest('input, textarea, select') !== null || t.isContentEditable)) return;
  if (e.altKey || e.ctrlKey || e.metaKey) return;
  const inList = t?.closest('.steplist') !== null && t?.closest('.steplist') !== undefined;
  let to: number | null = null;
  if (e.key === 'ArrowRight' || (inList && e.key === 'ArrowDown')) to = current + 1;
  else if (e.key === 'ArrowLeft' || (inList && e.key === 'ArrowUp')) to = current - 1;
  else if (e.key === 'Home') to = 0;
  else if (e.key === 'End') to = nSteps - 1;
  if (to === null || nSteps === 0) return;
  e.preventDefault();
  show(to, inList);
});

// --- what-if -----------------------------------------------------------------------------------------------------

let whatIfAfter: HTMLElement | null = null;

function whatIfOutcomes(r: WhatIfResult): HTMLElement {
  const box = h('div', { 'data-testid': 'whatif-result' });
  const grid = h('div', { class: 'wi-out' });
  for (const o of r.outcomes) {
    const sec = h(
      'section',
      { class: 'run', 'data-profile': o.profile, 'aria-label': `What-if under ${o.profile}` },
      h('h3', {}, o.profile),
    );
    if (o.dead !== null) {
      sec.append(
        h('p', { class: 'bad-text' }, `✗ Not tried: the kernel died at step ${o.replayed} of the run (${o.dead})`),
      );
    } else {
      for (const ret of o.returns)
        sec.append(
          h('p', {}, h('code', {}, ret.action), ' returns ', h('output', { 'data-testid': 'wi-return' }, ret.text)),
        );
      if (o.oops !== null) sec.append(h('div', { class: 'alert', role: 'alert' }, `✗ Oops: ${o.oops.message}`));
      const ul = h('ul', {});
      for (const d of o.devices) {
        const drv =
          d.driver[0] === d.driver[1]
            ? (d.driver[1] ?? 'no driver')
            : `${d.driver[0] ?? 'no driver'} → ${d.driver[1] ?? 'no driver'}`;
        ul.append(
          h(
            'li',
            {},
            h('code', {}, d.device),
            `: ${drv}`,
            d.viable[0] === d.viable[1]
              ? ''
              : h(
                  'span',
                  { class: `tag ${d.viable[1] ? 'ok' : 'bad'}` },
                  `${viableText(d.viable[0]) || 'not judged'} → ${viableText(d.viable[1]) || 'not judged'}`,
                ),
            d.reason !== null && d.viable[1] === false ? h('div', { class: 'muted' }, d.reason) : '',
          ),
        );
      }
      for (const g of o.groups) {
        const li = h(
          'li',
          {},
          g.broken
            ? h('strong', { class: 'bad-text' }, `✗ IOMMU group ${g.group} breaks: viable → NOT viable`)
            : `IOMMU group ${g.group}: ${viableText(g.viable[0]) || 'not judged'} → ${viableText(g.viable[1]) || 'not judged'}`,
        );
        if (g.owner[0] !== g.owner[1]) li.append(h('div', {}, `Owner: ${g.owner[0]} → ${g.owner[1]}`));
        for (const w of g.why) li.append(h('div', {}, `because ${w}`));
        ul.append(li);
      }
      if (o.devices.length === 0 && o.groups.length === 0 && o.oops === null)
        ul.append(h('li', { class: 'ok-text' }, '✓ nothing else changes'));
      sec.append(ul);
      if (o.calls.length > 0)
        sec.append(h('details', {}, h('summary', {}, `Chain calls (${o.calls.length})`), calls(o.calls)));
    }
    grid.append(sec);
  }
  box.append(
    grid,
    h(
      'details',
      {},
      h('summary', {}, 'As text (the same as sim explain --what-if)'),
      h('pre', { 'data-testid': 'whatif-text' }, formatWhatIf(r)),
    ),
  );
  return box;
}

function whatIfPanel(): HTMLElement {
  const sec = h(
    'section',
    { class: 'whatif', 'aria-labelledby': 'whatif-h' },
    h('h2', { id: 'whatif-h' }, 'What if …'),
  );
  if (data.whatIf !== null) {
    sec.append(
      h('p', {}, `Computed by the command line after step ${data.whatIf.after}:`),
      whatIfOutcomes(data.whatIf),
    );
  }
  if (data.source === null) {
    sec.append(h('p', { class: 'muted' }, data.sourceNote ?? 'The in-page what-if is not available for this page.'));
    return sec;
  }
  const src = data.source;
  const loaded = loadScenario(src.text, src.file);
  if (!loaded.ok) {
    sec.append(
      h(
        'p',
        { class: 'bad-text' },
        `The scenario does not load here: ${loaded.problems.map((p) => p.message).join('; ')}`,
      ),
    );
    return sec;
  }
  const scenario = { ...loaded.scenario, inject: src.inject };
  const state = () => {
    const run = data.runs[0]!;
    const s = run.steps[current];
    return run.states[s === undefined ? run.bootState : s.state]!;
  };
  const devSel = h('select', { id: 'wi-device' }) as HTMLSelectElement;
  for (const d of scenario.devices) devSel.append(h('option', { value: d.name }, `${d.name} (${d.bus})`));
  // The device the opening step is about, if it names one.
  const opening = data.runs[0]?.steps[current]?.text ?? '';
  const named = scenario.devices.filter((d) => opening.includes(d.name)).at(-1);
  if (named !== undefined) devSel.value = named.name;
  const actSel = h('select', { id: 'wi-action' }) as HTMLSelectElement;
  for (const [v, t] of [
    ['bind', 'bind to driver …'],
    ['unbind', 'unbind from its driver'],
    ['vfio', 'give to vfio-pci'],
    ['override', 'set driver_override to …'],
    ['clear', 'clear driver_override'],
  ])
    actSel.append(h('option', { value: v! }, t!));
  const drvSel = h('select', { id: 'wi-driver' }) as HTMLSelectElement;
  const drivers = new Set<string>(scenario.drivers.map((d) => d.name));
  for (const r of data.runs)
    for (const st of r.states) for (const d of st.devices) if (d.driver !== null) drivers.add(d.driver);
  if (scenario.plugins.some((p) => p.name === 'vfio')) drivers.add('vfio-pci');
  for (const d of [...drivers].sort()) drvSel.append(h('option', { value: d }, d));
  const cmds = h('textarea', { id: 'wi-commands', rows: 3, spellcheck: 'false' }) as HTMLTextAreaElement;
  const fill = () => {
    const name = devSel.value;
    const decl = scenario.devices.find((d) => d.name === name);
    if (decl === undefined) return;
    const bus = decl.bus;
    const now = state().devices.find((d) => d.name === name)?.driver ?? null;
    const unbind = now === null ? [] : [`echo ${name} > /sys/bus/${bus}/drivers/${now}/unbind`];
    const lines: Record<string, string[]> = {
      bind: [`echo ${name} > /sys/bus/${bus}/drivers/${drvSel.value}/bind`],
      unbind: unbind.length > 0 ? unbind : [`echo ${name} > /sys/bus/${bus}/drivers/${drvSel.value}/unbind`],
      vfio: [
        ...unbind,
        `echo vfio-pci > /sys/bus/${bus}/devices/${name}/driver_override`,
        `echo ${name} > /sys/bus/${bus}/drivers_probe`,
      ],
      override: [`echo ${drvSel.value} > /sys/bus/${bus}/devices/${name}/driver_override`],
      clear: [`echo > /sys/bus/${bus}/devices/${name}/driver_override`],
    };
    cmds.value = (lines[actSel.value] ?? []).join('\n');
  };
  for (const s of [devSel, actSel, drvSel]) s.addEventListener('change', fill);
  const out = h('div', { 'aria-live': 'polite', id: 'wi-out' });
  whatIfAfter = h('p', { class: 'muted full', id: 'wi-after' });
  const form = h(
    'form',
    { id: 'whatif-form', 'aria-describedby': 'wi-after' },
    h('label', {}, 'Device', devSel),
    h('label', {}, 'Action', actSel),
    h('label', {}, 'Driver (for bind and driver_override)', drvSel),
    h('label', { class: 'full' }, 'sysfs writes to try, one per line (edit freely)', cmds),
    whatIfAfter,
    h('p', { class: 'full' }, h('button', { type: 'submit', id: 'wi-go' }, 'Try it under every profile')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const actions = cmds.value
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const after = current + 1;
    // A long run takes a moment to replay under every profile: say so, then compute once the message is drawn.
    out.replaceChildren(
      h(
        'p',
        { class: 'muted' },
        `Replaying ${after} step${after === 1 ? '' : 's'} under ${data.whatIfProfiles.join(', ')} …`,
      ),
    );
    setTimeout(() => {
      try {
        const r = whatIf(scenario, data.whatIfProfiles, actions, after, { compileChains: false });
        out.replaceChildren(whatIfOutcomes(r));
      } catch (err) {
        out.replaceChildren(h('p', { class: 'bad-text', role: 'alert' }, `✗ ${(err as Error).message}`));
      }
    }, 0);
  });
  fill();
  sec.append(
    h(
      'p',
      {},
      'Pick a device and an action (or write the sysfs writes yourself): the page replays the run up to the step shown, under each profile, with the same simulator the sim command runs, and shows what would change. Nothing on the page changes.',
    ),
    form,
    out,
  );
  return sec;
}

// --- audit -------------------------------------------------------------------------------------------------------

function auditView(): HTMLElement {
  const r = data.audit!;
  const main = h('main', {});
  main.append(
    h(
      'p',
      {},
      `Profile ${r.profile} (base ${r.base}); ${r.kernels} kernel${r.kernels === 1 ? '' : 's'}, ${r.chainCalls} chain calls. Findings: ${r.totals.findings} (${r.totals.ineffective} ineffective, ${r.totals.effective} effective, ${r.totals.propagated} propagated, ${r.totals.unknown} unknown).`,
    ),
  );
  const table = h(
    'table',
    {},
    h('caption', { class: 'sr-only' }, 'Notifier answers other than 0, NOTIFY_OK and NOTIFY_DONE'),
  );
  table.append(
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Chain', 'Event', 'Block', 'Verdict', 'Answer', 'What the caller did'].map((t) =>
          h('th', { scope: 'col' }, t),
        ),
      ),
    ),
  );
  const tb = h('tbody', {});
  for (const f of r.findings) {
    for (const a of f.answers) {
      tb.append(
        h(
          'tr',
          { 'data-testid': 'finding' },
          h('td', {}, f.chain),
          h('td', {}, h('code', {}, f.event)),
          h('td', {}, h('code', {}, f.block)),
          h(
            'td',
            {},
            h(
              'span',
              { class: `tag ${f.verdict === 'ineffective' ? 'bad' : f.verdict === 'effective' ? 'ok' : 'warn'}` },
              f.verdict,
            ),
          ),
          h(
            'td',
            {},
            h('code', {}, a.decoded.text),
            a.device === null ? '' : ` for ${a.device}`,
            a.count > 1 ? ` (×${a.count})` : '',
          ),
          h('td', {}, h('span', { class: `outcome-${a.outcome}` }, a.outcome), `: ${a.effect}`),
        ),
      );
    }
  }
  table.append(tb);
  main.append(
    h('h2', {}, 'Findings'),
    r.findings.length === 0
      ? h('p', {}, 'No answer other than 0, NOTIFY_OK and NOTIFY_DONE.')
      : h('div', { class: 'table-wrap' }, table),
  );
  if (r.crashes.length > 0) {
    const ul = h('ul', {});
    for (const c of r.crashes)
      ul.append(h('li', {}, `✗ ${c.message} (${c.where})${c.block === null ? '' : ` in ${c.block}`}`));
    main.append(h('h2', {}, 'Crashes'), ul);
  }
  return main;
}

// --- the page ----------------------------------------------------------------------------------------------------

function draw(): void {
  app.append(header());
  if (data.kind === 'audit') {
    app.append(auditView());
    return;
  }
  const main = h('main', {});
  if (data.explain !== null) {
    main.append(
      h(
        'section',
        { class: 'explain', 'aria-labelledby': 'explain-h' },
        h('h2', { id: 'explain-h' }, `IOMMU group ${data.explain.group} at the end of the run`),
        h('pre', { 'data-testid': 'explain' }, data.explain.text),
      ),
    );
  }
  const runs = h('div', { class: 'runs' });
  for (const run of data.runs) {
    const sec = h('section', { class: 'run', 'data-profile': run.profile, 'aria-label': `Under ${run.profile}` });
    runSections.push(sec);
    runs.append(sec);
  }
  main.append(h('div', { class: 'layout' }, stepsPanel(), h('div', {}, runs)), whatIfPanel());
  app.append(main);
  const m = /^#step-(\d+)$/.exec(location.hash);
  show(m !== null ? Number(m[1]) - 1 : current);
}

draw();
