import { formatTimestamp, KERN_INFO, type TraceEvent } from '@sim/core';
import { dmesgLines, type RunResult, showResult, stepResultText } from '../run/run.ts';
import { cut, notable, notifyName, type Style, wrap } from './style.ts';
import { buildTree, type ChainNode, emptyCall, type TreeNode } from './tree.ts';

/** Options of the narrated output. */
export interface TextOptions {
  readonly style: Style;
  /** Show pr_debug/dev_dbg lines and the boot's events too. */
  readonly verbose?: boolean;
  /** Columns (80 by default). */
  readonly width?: number;
}

const LEVEL_TAGS = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug'];

/** True when a chain call, or one inside it, got an answer other than 0 / NOTIFY_OK. */
function hasNotable(n: ChainNode): boolean {
  return n.children.some((c) =>
    c.kind === 'chain' ? hasNotable(c) : c.event.type === 'chain.block' && notable(c.event.ret),
  );
}

/**
 * Renders the events of one step (or of the boot) as indented lines: chain calls, answers, outcomes, dmesg. With
 * `onlyNotable`, only the chain calls that got an answer other than 0 / NOTIFY_OK, errors and an oops are shown.
 */
export function narrateEvents(
  events: readonly TraceEvent[],
  o: TextOptions,
  indent = '    ',
  onlyNotable = false,
): string[] {
  const s = o.style;
  const width = o.width ?? 80;
  const out: string[] = [];
  const line = (pad: string, text: string, style = (x: string) => x) => {
    for (const l of wrap(text, Math.max(20, width - pad.length), '  ')) out.push(pad + style(l));
  };
  const walk = (nodes: readonly TreeNode[], pad: string, top = false) => {
    for (const n of nodes) {
      if (n.kind === 'chain') {
        if (!(top && onlyNotable) || hasNotable(n)) chain(n, pad);
      } else if (!(top && onlyNotable) || ['oops', 'splat', 'bind'].includes(n.event.type)) event(n.event, pad);
    }
  };
  const chain = (n: ChainNode, pad: string) => {
    if (emptyCall(n)) return;
    const c = n.call;
    const who = `${s.cyan(c.chain)} ${s.bold(c.actionName)}${c.device === null ? '' : ` ${c.device}`}`;
    const from = c.caller === null ? '' : s.dim(` <- ${c.caller}`);
    const blocks = n.children.filter((x) => x.kind === 'event' && x.event.type === 'chain.block');
    const boring =
      n.children.length === blocks.length &&
      blocks.every((b) => b.kind === 'event' && b.event.type === 'chain.block' && !notable(b.event.ret)) &&
      (n.outcome === null || n.outcome.outcome === 'ignored');
    const whoLen = c.chain.length + 1 + c.actionName.length + (c.device === null ? 0 : c.device.length + 1);
    const fromLen = c.caller === null ? 0 : c.caller.length + 4;
    // The header on one line if it fits, else the caller (and answers) on the next.
    const header = (tail: string, tailLen: number, tailPlain = '') => {
      if (pad.length + whoLen + fromLen + tailLen <= width) out.push(`${pad}${who}${from}${tail}`);
      else {
        out.push(`${pad}${who}`);
        const rest = `<- ${c.caller ?? '?'}${tailPlain}`;
        for (const l of wrap(rest, Math.max(20, width - pad.length - 4), '   ')) out.push(`${pad}    ${s.dim(l)}`);
      }
    };
    if (boring) {
      const answers = blocks.map((b) => {
        const e = (b as { event: Extract<TraceEvent, { type: 'chain.block' }> }).event;
        return `${e.block} ${notifyName(e.ret).replace('NOTIFY_', '')}`;
      });
      const tail = `: ${answers.join(', ')}`;
      header(s.dim(tail), tail.length, tail);
      return;
    }
    header('', 0);
    walk(n.children, `${pad}    `);
    const r = n.ret;
    if (r !== null && r.stoppedBy !== null) {
      const skipped = r.skipped.length === 0 ? '' : `; never called: ${r.skipped.join(', ')}`;
      line(`${pad}  `, `stopped by ${r.stoppedBy}: the answer carries NOTIFY_STOP_MASK${skipped}`, s.yellow);
    }
    const oc = n.outcome;
    if (oc !== null && (oc.outcome === 'honoured' || notable(oc.ret))) {
      const colour = oc.outcome === 'ignored' ? s.dim : s.magenta;
      line(`${pad}  `, `=> ${notifyName(oc.ret)} ${oc.outcome}: ${oc.effect}`, colour);
    }
  };
  const event = (e: TraceEvent, pad: string) => {
    switch (e.type) {
      case 'chain.block': {
        const ans = notifyName(e.ret);
        out.push(`${pad}${e.block} -> ${notable(e.ret) ? s.red(ans) : ans}`);
        return;
      }
      case 'dmesg':
        if (e.level > KERN_INFO && o.verbose !== true) return;
        line(
          pad,
          `${formatTimestamp(e.ts)} ${e.text}`,
          e.level <= 3 ? s.red : e.level === 4 ? s.yellow : e.level > KERN_INFO ? s.dim : (x) => x,
        );
        return;
      case 'probe':
        out.push(`${pad}${s.green('probe')} ${e.driver} ${e.device} = ${showResult(e.ret)}`);
        return;
      case 'bind': {
        const verb =
          e.what === 'bound'
            ? s.green('bound')
            : e.what === 'unbound'
              ? s.yellow('unbound')
              : e.what === 'refused'
                ? s.red('refused')
                : s.red('not bound');
        if (e.what === 'refused') {
          line(pad, `refused ${e.device} to ${e.driver}: ${e.reason ?? 'dma_configure() failed'}`, s.red);
          return;
        }
        out.push(`${pad}${verb} ${e.device} ${e.what === 'unbound' ? 'from' : 'to'} ${e.driver}`);
        return;
      }
      case 'device':
        out.push(`${pad}${e.what === 'add' ? 'device_add' : 'device_del'} ${e.device} (${e.bus})`);
        return;
      case 'driver':
        out.push(
          `${pad}${e.what === 'register' ? 'driver_register' : 'driver_unregister'} ${e.bus}/${e.driver} = ${showResult(e.ret)}`,
        );
        return;
      case 'splat':
        line(pad, `${e.splat.message}: ${e.splat.detail}`, s.yellow);
        return;
      case 'oops':
        line(pad, `the task dies: ${e.message}`, (x) => s.bold(s.red(x)));
        return;
      default:
        return;
    }
  };
  walk(buildTree(events), indent, true);
  return out;
}

/** The narrated run: header, boot summary, each step with what happened under it, the end state, expectations. */
export function formatText(run: RunResult, o: TextOptions): string {
  const s = o.style;
  const width = o.width ?? 80;
  const out: string[] = [];
  const sc = run.scenario;
  out.push(s.bold(`sim run ${sc.name}  [profile ${run.profile}]`));
  if (sc.description !== '') for (const l of wrap(sc.description, width - 2, '')) out.push(`  ${l}`);
  out.push(
    s.dim(
      `  flags: ${run.flags.length === 0 ? 'none' : run.flags.join(', ')}${run.plugins.length === 0 ? '' : `; plugins: ${run.plugins.join(', ')}`}`,
    ),
  );
  out.push('');
  const nDev = sc.devices.length;
  const nDrv = sc.drivers.filter((d) => d.loaded).length;
  out.push(
    s.bold('boot') +
      s.dim(
        `: ${nDev} device${nDev === 1 ? '' : 's'}, ${nDrv} driver${nDrv === 1 ? '' : 's'} loaded${sc.notifiers.length === 0 ? '' : `, ${sc.notifiers.length} notifier${sc.notifiers.length === 1 ? '' : 's'}`}${sc.inject.length === 0 ? '' : `, ${sc.inject.length} injection${sc.inject.length === 1 ? '' : 's'}`}`,
      ),
  );
  for (const n of sc.notifiers) {
    const on = n.on.length === 0 ? 'every event' : n.on.length === 1 ? 'one event' : `${n.on.length} events`;
    out.push(`    notifier ${s.cyan(n.bus)}/${n.name} (priority ${n.priority}) answers ${n.answerText} to ${on}`);
  }
  for (const x of sc.inject) {
    for (const l of wrap(`${x.text}${x.line === null ? ' (--inject)' : ''}`, width - 4, '  ')) {
      out.push(`    ${s.yellow(l)}`);
    }
  }
  if (o.verbose === true) out.push(...narrateEvents(run.bootEvents, o));
  else out.push(...narrateEvents(run.bootEvents, o, '    ', true));
  for (const st of run.steps) {
    out.push('');
    const num = `${st.index + 1}.`;
    const prompt = st.task === undefined ? '$' : `${st.task}$`;
    out.push(`${s.bold(num)} ${s.bold(`${prompt} ${cut(st.step.text, width - num.length - prompt.length - 2)}`)}`);
    if (!st.ran) {
      out.push(s.dim('    not run: the kernel died in an earlier step'));
      continue;
    }
    out.push(...narrateEvents(st.events, o));
    if (st.output !== null && st.output !== '') {
      for (const l of st.output.replace(/\n$/, '').split('\n')) out.push(`    ${s.cyan(cut(l, width - 4))}`);
    }
    const res = st.oops
      ? s.bold(s.red('the task died in the oops'))
      : st.result !== null && st.result < 0
        ? s.red(stepResultText(st))
        : s.green(stepResultText(st));
    out.push(`    = ${res}`);
  }
  out.push('');
  out.push(s.bold('end'));
  const devs = Object.entries(run.devices);
  const nameW = Math.min(24, Math.max(6, ...devs.map(([n]) => n.length)));
  for (const [name, d] of devs) {
    const grp = d.iommuGroup === null ? '' : s.dim(`  group ${d.iommuGroup}`);
    out.push(`    ${name.padEnd(nameW)}  ${d.driver === null ? s.dim('no driver') : d.driver}${grp}`);
  }
  out.push(`    ${run.oops === null ? 'no oops' : s.red(`oops: ${run.oops.message}`)}`);
  const passed = run.expectations.filter((e) => e.ok).length;
  const failed = run.expectations.length - passed;
  if (run.expectations.length > 0) {
    out.push('');
    out.push(
      `${s.bold('expectations')}: ${s.green(`${passed} passed`)}, ${failed === 0 ? '0 failed' : s.red(`${failed} failed`)}`,
    );
    for (const e of run.expectations) {
      if (e.ok && o.verbose !== true) continue;
      const mark = e.ok ? s.green('ok') : s.red('FAIL');
      for (const [i, l] of wrap(`line ${e.line}: ${e.message}`, width - 9, '  ').entries())
        out.push(`  ${i === 0 ? `${mark}${e.ok ? '  ' : ''} ` : '       '}${l}`);
      if (!e.ok) {
        out.push(`         ${s.red(`- expected: ${e.expected ?? ''}`)}`);
        out.push(`         ${s.green(`+ actual:   ${e.actual ?? ''}`)}`);
      }
    }
  }
  return `${out.join('\n')}\n`;
}

/** The kernel log as `dmesg` prints it, up to a level. */
export function formatDmesg(run: RunResult): string {
  return dmesgLines(run).join('\n');
}

export { LEVEL_TAGS };
