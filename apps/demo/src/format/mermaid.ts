import type { TraceEvent } from '@sim/core';
import { type RunResult, showResult } from '../run/run.ts';
import { notable, notifyName } from './style.ts';
import { buildTree, type ChainNode, emptyCall, type TreeNode } from './tree.ts';

/** Text that is safe inside a Mermaid sequence message or note: no statement breaks, entities or tags. */
export function mermaidText(s: string): string {
  return s
    .replace(/[\r\n]+/g, ' ')
    .replace(/;/g, ',')
    .replace(/#/g, 'no.')
    .replace(/</g, '‹')
    .replace(/%%/g, '%')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * A Mermaid sequence diagram of a run's boot and steps (GitHub renders it in a ```mermaid block): the shell, the
 * driver core, one participant per notifier chain and per notifier block, and the drivers whose probe ran.
 */
export function formatMermaid(run: RunResult): string {
  const ids = new Map<string, string>();
  const decls: string[] = [];
  const participant = (key: string, label: string, prefix: string): string => {
    let id = ids.get(key);
    if (id === undefined) {
      id = `${prefix}${ids.size}`;
      ids.set(key, id);
      decls.push(`  participant ${id} as ${mermaidText(label)}`);
    }
    return id;
  };
  const sh = participant('sh', 'shell', 'p');
  const core = participant('core', 'driver core', 'p');
  const body: string[] = [];
  const msg = (from: string, to: string, text: string, reply = false) =>
    body.push(`  ${from}${reply ? '-->>' : '->>'}${to}: ${mermaidText(text) || '.'}`);
  const note = (over: string, text: string) => body.push(`  Note over ${over}: ${mermaidText(text)}`);
  let inDump = false;

  const chain = (n: ChainNode, from: string) => {
    if (emptyCall(n)) return;
    const c = participant(`chain:${n.call.chain}`, `${n.call.chain} chain`, 'c');
    msg(from, c, `${n.call.actionName}${n.call.device === null ? '' : ` ${n.call.device}`}`);
    // Children up to each block's answer happened inside that block.
    let segment: TreeNode[] = [];
    for (const child of n.children) {
      if (child.kind === 'event' && child.event.type === 'chain.block') {
        const e = child.event;
        const b = participant(`block:${e.chain}:${e.block}`, e.block, 'b');
        msg(c, b, e.actionName);
        walk(segment, b);
        segment = [];
        msg(b, c, notifyName(e.ret), true);
      } else segment.push(child);
    }
    walk(segment, c);
    const r = n.ret;
    if (r !== null) {
      msg(c, from, notifyName(r.ret), true);
      if (r.stoppedBy !== null && r.skipped.length > 0)
        note(c, `stopped by ${r.stoppedBy}, never called: ${r.skipped.join(', ')}`);
    }
    const oc = n.outcome;
    if (oc !== null && (oc.outcome !== 'ignored' || notable(oc.ret))) note(from, `${oc.outcome}: ${oc.effect}`);
  };
  const event = (e: TraceEvent, from: string) => {
    switch (e.type) {
      case 'probe': {
        const d = participant(`driver:${e.driver}`, e.driver, 'd');
        msg(from, d, `probe ${e.device}`);
        msg(d, from, showResult(e.ret), true);
        return;
      }
      case 'bind':
        note(
          from,
          `${e.what === 'not-bound' ? 'not bound' : e.what} ${e.device} ${e.what === 'unbound' ? 'from' : 'to'} ${e.driver}`,
        );
        return;
      case 'oops':
        note(from, `${e.message}`);
        return;
      case 'splat':
        note(from, e.splat.message);
        return;
      case 'dmesg':
        if (e.text.includes('[ cut here ]')) inDump = true;
        else if (e.text.startsWith('---[ end trace')) inDump = false;
        else if (!inDump && e.level <= 4) note(from, e.text);
        return;
      default:
        return;
    }
  };
  const walk = (nodes: readonly TreeNode[], from: string) => {
    for (const n of nodes) {
      if (n.kind === 'chain') chain(n, from);
      else event(n.event, from);
    }
  };
  // The boot first (the plugins' setups, the topology, the drivers loaded): the same stream as every format's.
  if (run.bootEvents.length > 0) {
    msg(sh, core, 'boot');
    walk(buildTree(run.bootEvents), core);
    msg(core, sh, 'booted', true);
  }
  for (const s of run.steps) {
    if (!s.ran) {
      msg(sh, core, s.step.text);
      note(core, 'not run: the kernel is dead');
      continue;
    }
    msg(sh, core, s.step.text);
    walk(buildTree(s.events), core);
    msg(core, sh, s.oops ? 'the task died' : `= ${showResult(s.result)}`, true);
  }
  return ['sequenceDiagram', ...decls, ...body].join('\n').concat('\n');
}
