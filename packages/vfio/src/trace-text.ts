import {
  errname,
  levelName,
  NOTIFY_BAD,
  NOTIFY_DONE,
  NOTIFY_OK,
  NOTIFY_STOP,
  NOTIFY_STOP_MASK,
  type TraceEvent,
} from '@sim/core';

/** A notifier return as a kernel developer reads it: NOTIFY_OK, NOTIFY_BAD, -19 (ENODEV), 0x8017. */
export function notifyText(ret: number): string {
  switch (ret) {
    case NOTIFY_DONE:
      return 'NOTIFY_DONE';
    case NOTIFY_OK:
      return 'NOTIFY_OK';
    case NOTIFY_STOP_MASK:
      return 'NOTIFY_STOP_MASK';
    case NOTIFY_STOP:
      return 'NOTIFY_STOP';
    case NOTIFY_BAD:
      return 'NOTIFY_BAD';
  }
  if (ret < 0) return `${ret} (${errname(ret) ?? 'errno'})`;
  return `0x${ret.toString(16)}`;
}

/** A kernel int as an operation's result: 13, -19 (ENODEV). */
function resultText(ret: number | null): string {
  if (ret === null) return 'null (the task died in an oops)';
  return ret < 0 ? `${ret} (${errname(ret) ?? 'errno'})` : String(ret);
}

/**
 * One line per event, indented by nesting: chain calls with their caller, each block's answer, the chain's return
 * (and the blocks a stop skipped), what the caller did with it, probes, binds, log lines, splats and the oops.
 * Operations (op.begin/op.end) and sysfs events are left out: a story prints its own step lines.
 */
export function formatTrace(events: readonly TraceEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    const ind = '  '.repeat(e.depth);
    switch (e.type) {
      case 'chain.call':
        out.push(`${ind}${e.chain}: ${e.actionName}(${e.action}) ${e.device ?? 'NULL'} <- ${e.caller ?? '?'}`);
        break;
      case 'chain.block':
        out.push(`${ind}${e.block} -> ${notifyText(e.ret)}`);
        break;
      case 'chain.return': {
        const stop = e.stoppedBy === null ? '' : `, stopped by ${e.stoppedBy}`;
        const skipped = e.skipped.length === 0 ? '' : `, skipped ${e.skipped.join(', ')}`;
        out.push(`${ind}${e.chain}: ${e.actionName} = ${notifyText(e.ret)} (${e.nrCalls} called${stop}${skipped})`);
        break;
      }
      case 'chain.outcome':
        out.push(`${ind}${e.caller}: ${e.outcome} (${e.effect})`);
        break;
      case 'chain.register':
        out.push(`${ind}register ${e.block} on ${e.chain} (priority ${e.priority}) = ${e.ret}`);
        break;
      case 'chain.unregister':
        out.push(`${ind}unregister ${e.block} from ${e.chain} = ${e.ret}`);
        break;
      case 'probe':
        out.push(`${ind}probe ${e.driver} ${e.device} = ${resultText(e.ret)}`);
        break;
      case 'bind':
        out.push(
          e.what === 'bound'
            ? `${ind}bound ${e.device} to ${e.driver}`
            : e.what === 'unbound'
              ? `${ind}unbound ${e.device} from ${e.driver}`
              : e.what === 'refused'
                ? `${ind}refused ${e.device} to ${e.driver}: ${e.reason ?? 'dma_configure() failed'}`
                : `${ind}not bound ${e.device} (${e.driver})`,
        );
        break;
      case 'device':
        out.push(`${ind}device ${e.what} ${e.bus} ${e.device}`);
        break;
      case 'driver':
        out.push(`${ind}driver ${e.what} ${e.bus} ${e.driver} = ${e.ret}`);
        break;
      case 'dmesg':
        out.push(`${ind}dmesg(${levelName(e.level)}): ${e.text}`);
        break;
      case 'splat':
        out.push(`${ind}SPLAT ${e.splat.kind}: ${e.splat.message}`);
        break;
      case 'oops':
        out.push(`${ind}OOPS ${e.message} (${e.callPath.join(' > ')})`);
        break;
      default:
        break;
    }
  }
  return out;
}

export { resultText };
