import type { NotifyOutcome, TraceEvent } from '../kernel/trace.ts';
import { type KernelVersion, LINUX_4_12 } from '../kernel/versions.ts';
import { busNotifyCaller } from './callers.ts';
import { decodeNotifierAnswer, isOkAnswer } from './decode.ts';
import type {
  AuditAnswer,
  AuditCoverage,
  AuditCrash,
  AuditEventSummary,
  AuditFinding,
  AuditOutcome,
  AuditOutcomeSource,
  AuditReport,
  AuditVerdict,
} from './report.ts';

/** What the collector needs to know of the kernel a part of the run happens on. */
export interface AuditContext {
  /** The seed's flag is on (driver_sysfs_add() honours NOTIFY_BAD). */
  readonly stopBindOnNotifyBad: boolean;
  /** The kernel's version (its BUS_NOTIFY_* numbering, and whether bus_notify() returns nothing). Default v4.12. */
  readonly version?: KernelVersion;
  /** True when the chain is a bus notifier chain. */
  isBus(chain: string, actionName: string): boolean;
  /** The blocks registered on a chain now, in call order, when the kernel can tell. */
  blocksOf(chain: string): readonly string[] | undefined;
  /** Every bus chain with its blocks (for coverage). */
  busBlocks(): readonly { chain: string; blocks: readonly string[] }[];
}

/** One call of a chain, as the trace shows it. */
interface Frame {
  readonly chain: string;
  readonly action: number;
  readonly actionName: string;
  readonly device: string | null;
  readonly calledBy: string | null;
  readonly depth: number;
  readonly source: string;
  readonly isBus: boolean;
  readonly stopBindOnNotifyBad: boolean;
  readonly version: KernelVersion;
  readonly answers: { block: string; ret: number }[];
  ret: number;
  stoppedBy: string | null;
  skipped: readonly string[];
  outcome: { outcome: NotifyOutcome; caller: string; effect: string } | null;
  /** For a BIND_DRIVER call: the blocks a later DRIVER_NOT_BOUND call for the same device reached, once one came. */
  notBound: readonly string[] | null;
}

interface AnswerAcc {
  answer: Omit<AuditAnswer, 'count' | 'sources'>;
  count: number;
  sources: string[];
}

interface FindingAcc {
  chain: string;
  bus: string | null;
  action: number;
  event: string;
  block: string;
  answers: Map<string, AnswerAcc>;
}

const NO_CONTEXT: AuditContext = {
  stopBindOnNotifyBad: false,
  isBus: (_chain, actionName) => actionName.startsWith('BUS_NOTIFY_'),
  blocksOf: () => undefined,
  busBlocks: () => [],
};

/**
 * Reads the trace stream of one or more kernels and keeps what the audit reports: each chain call's answers,
 * the caller's outcome, the blocks a stop kept from being called, and kernel deaths.
 */
export class AuditCollector {
  private context: AuditContext = NO_CONTEXT;
  private source = 'scenario';
  private readonly open: Frame[] = [];
  private readonly lastReturned = new Map<number, Frame>();
  /** Frames with at least one answer other than 0 / NOTIFY_OK, in the order they returned. */
  private readonly kept: Frame[] = [];
  private readonly calls = new Map<string, Map<string, number>>();
  private readonly crashes: AuditCrash[] = [];
  chainCalls = 0;
  kernels = 0;

  /** Starts a part of the run on a kernel: its context, and the source label of what follows. */
  attach(context: AuditContext, source: string): void {
    this.context = context;
    this.source = source;
    this.open.length = 0;
    this.lastReturned.clear();
    this.kernels++;
  }

  /** Ends a part: the kernel's bus blocks are counted for coverage (0 calls if the run never reached them). */
  detach(): void {
    for (const { chain, blocks } of this.context.busBlocks()) {
      const counts = this.countsOf(chain);
      for (const b of blocks) if (!counts.has(b)) counts.set(b, 0);
    }
    this.open.length = 0;
    this.lastReturned.clear();
  }

  feed(e: TraceEvent): void {
    switch (e.type) {
      case 'chain.call':
        this.open.push({
          chain: e.chain,
          action: e.action,
          actionName: e.actionName,
          device: e.device,
          calledBy: e.caller,
          depth: e.depth,
          source: this.source,
          isBus: this.context.isBus(e.chain, e.actionName),
          stopBindOnNotifyBad: this.context.stopBindOnNotifyBad,
          version: this.context.version ?? LINUX_4_12,
          answers: [],
          ret: 0,
          stoppedBy: null,
          skipped: [],
          outcome: null,
          notBound: null,
        });
        break;
      case 'chain.block': {
        const top = this.open.at(-1);
        if (top?.chain === e.chain) top.answers.push({ block: e.block, ret: e.ret });
        const counts = this.countsOf(e.chain);
        counts.set(e.block, (counts.get(e.block) ?? 0) + 1);
        break;
      }
      case 'chain.return': {
        const top = this.open.at(-1);
        if (top === undefined || top.chain !== e.chain || top.action !== e.action) break;
        this.open.pop();
        top.ret = e.ret;
        top.stoppedBy = e.stoppedBy;
        top.skipped = [...e.skipped];
        this.chainCalls++;
        this.lastReturned.set(e.depth, top);
        const counts = this.countsOf(e.chain);
        for (const s of e.skipped) if (!counts.has(s)) counts.set(s, 0);
        if (top.answers.some((a) => !isOkAnswer(a.ret))) this.kept.push(top);
        if (top.isBus && top.actionName === 'BUS_NOTIFY_DRIVER_NOT_BOUND' && top.device !== null) {
          // really_probe()'s undo chance for a bind that stopped: the blocks the earlier BIND_DRIVER reached hear it.
          const bind = this.kept.findLast(
            (f) =>
              f.source === top.source &&
              f.chain === top.chain &&
              f.device === top.device &&
              f.actionName === 'BUS_NOTIFY_BIND_DRIVER' &&
              f.notBound === null,
          );
          if (bind !== undefined) bind.notBound = top.answers.map((a) => a.block);
        }
        break;
      }
      case 'chain.outcome': {
        const f = this.lastReturned.get(e.depth);
        if (f !== undefined && f.outcome === null && f.chain === e.chain && f.action === e.action && f.ret === e.ret) {
          f.outcome = { outcome: e.outcome, caller: e.caller, effect: e.effect };
        }
        break;
      }
      case 'chain.register': {
        const counts = this.countsOf(e.chain);
        if (!counts.has(e.block)) counts.set(e.block, 0);
        break;
      }
      case 'oops':
        this.crash(e.message, e.where);
        break;
      default:
        break;
    }
  }

  /**
   * Records a kernel death at the innermost chain call still open (the block that was running is the one after
   * those that answered). Open calls are dropped: the kernel that died runs nothing more. `where` null: an
   * exception escaped a callback outside a kernel operation (`message` is the exception's), which the kernel
   * would have died of as core's operations do.
   */
  crash(message: string, where: string | null): void {
    const f = this.open.at(-1) ?? null;
    let block: string | null = null;
    if (f !== null) {
      const blocks = this.context.blocksOf(f.chain);
      const last = f.answers.at(-1)?.block;
      if (blocks !== undefined) {
        const i = last === undefined ? 0 : blocks.indexOf(last) + 1;
        block = blocks[i] ?? null;
      }
    }
    this.crashes.push({
      chain: f?.chain ?? null,
      action: f?.action ?? null,
      event: f?.actionName ?? null,
      block,
      device: f?.device ?? null,
      message:
        where === null ? `BUG: unhandled exception in ${block ?? f?.chain ?? 'a callback'}: ${message}` : message,
      where: where ?? block ?? f?.chain ?? this.source,
      source: this.source,
    });
    this.open.length = 0;
  }

  report(
    kind: AuditReport['kind'],
    profile: string,
    flags: readonly string[],
    version: KernelVersion = this.context.version ?? LINUX_4_12,
    unsupported: readonly { plugin: string; reason: string }[] = [],
  ): AuditReport {
    const findings = this.findings();
    const totals = { findings: findings.length, ineffective: 0, effective: 0, propagated: 0, unknown: 0 };
    for (const f of findings) totals[f.verdict]++;
    return {
      kind,
      profile,
      base: version.base,
      flags: [...flags],
      kernels: this.kernels,
      chainCalls: this.chainCalls,
      findings,
      unsupported: unsupported.map((u) => ({ ...u })),
      byEvent: summarise(findings, version),
      crashes: [...this.crashes],
      coverage: this.coverage(),
      totals,
    };
  }

  private countsOf(chain: string): Map<string, number> {
    let counts = this.calls.get(chain);
    if (counts === undefined) {
      counts = new Map();
      this.calls.set(chain, counts);
    }
    return counts;
  }

  private coverage(): AuditCoverage[] {
    const out: AuditCoverage[] = [];
    for (const [chain, counts] of this.calls) for (const [block, calls] of counts) out.push({ chain, block, calls });
    return out;
  }

  private findings(): AuditFinding[] {
    const byKey = new Map<string, FindingAcc>();
    for (const f of this.kept) {
      f.answers.forEach((a, i) => {
        if (isOkAnswer(a.ret)) return;
        const key = `${f.chain}\0${f.action}\0${a.block}`;
        let acc = byKey.get(key);
        if (acc === undefined) {
          acc = {
            chain: f.chain,
            bus: f.isBus ? f.chain : null,
            action: f.action,
            event: f.actionName,
            block: a.block,
            answers: new Map(),
          };
          byKey.set(key, acc);
        }
        const answer = judge(f, i);
        const akey = JSON.stringify([
          answer.value,
          answer.device === null,
          answer.outcome,
          answer.outcomeSource,
          answer.handledBy,
          answer.effect,
          answer.overwrittenBy,
          answer.collateral,
          answer.actedBefore ?? null,
        ]);
        const prev = acc.answers.get(akey);
        if (prev === undefined) acc.answers.set(akey, { answer, count: 1, sources: [f.source] });
        else {
          prev.count++;
          if (!prev.sources.includes(f.source)) prev.sources.push(f.source);
        }
      });
    }
    // First by event value (bus events first), then in the order each block first answered.
    const accs = [...byKey.values()];
    const order = new Map(accs.map((a, i) => [a, i]));
    accs.sort((x, y) => rank(x) - rank(y) || order.get(x)! - order.get(y)!);
    return accs.map((acc) => {
      const answers = [...acc.answers.values()].map((a) => ({ ...a.answer, count: a.count, sources: a.sources }));
      return {
        chain: acc.chain,
        bus: acc.bus,
        action: acc.action,
        event: acc.event,
        block: acc.block,
        verdict: verdictOf(answers),
        answers,
      };
    });
  }
}

function rank(f: { bus: string | null; action: number }): number {
  return f.bus !== null ? f.action : 0x1_0000_0000 + f.action;
}

/** The fate of answer `i` of a chain call. */
function judge(f: Frame, i: number): Omit<AuditAnswer, 'count' | 'sources'> {
  const a = f.answers[i]!;
  const decoded = decodeNotifierAnswer(a.ret);
  const base = { value: a.ret, decoded, device: f.device, calledBy: f.calledBy };
  const next = f.answers[i + 1];
  if (next !== undefined) {
    // No stop bit, and the walk went on: the next block's answer replaced it.
    return {
      ...base,
      outcome: 'overwritten',
      outcomeSource: 'chain',
      handledBy: null,
      effect: `replaced by ${next.block}'s ${decodeNotifierAnswer(next.ret).text} before the caller saw it`,
      overwrittenBy: { block: next.block, value: next.ret },
      collateral: [],
    };
  }
  const collateral = f.stoppedBy === a.block ? [...f.skipped] : [];
  let outcome: AuditOutcome = 'unreported';
  let outcomeSource: AuditOutcomeSource = 'none';
  let handledBy: string | null = null;
  let effect = 'the caller did not report what it did with the answer';
  if (f.outcome !== null) {
    ({ outcome, caller: handledBy, effect } = f.outcome);
    outcomeSource = 'trace';
  } else if (f.isBus) {
    const v = busNotifyCaller(f.action, f.ret, f.stopBindOnNotifyBad, f.version);
    if (v !== null) {
      ({ outcome, caller: handledBy, effect } = v);
      outcomeSource = 'caller-table';
    }
  }
  const answer = { ...base, outcome, outcomeSource, handledBy, effect, overwrittenBy: null, collateral };
  if (outcome !== 'honoured' || f.actionName !== 'BUS_NOTIFY_BIND_DRIVER' || f.device === null || i === 0) {
    return answer;
  }
  const actedBefore = f.answers.slice(0, i).map((b) => ({
    block: b.block,
    value: b.ret,
    undoneOn: f.notBound?.includes(b.block) === true ? 'BUS_NOTIFY_DRIVER_NOT_BOUND' : null,
  }));
  return { ...answer, actedBefore };
}

function verdictOf(answers: readonly AuditAnswer[]): AuditVerdict {
  if (answers.some((a) => a.outcome === 'honoured')) return 'effective';
  if (answers.some((a) => a.outcome === 'propagated')) return 'propagated';
  if (answers.some((a) => a.outcome === 'unreported')) return 'unknown';
  return 'ineffective';
}

function summarise(findings: readonly AuditFinding[], version: KernelVersion): AuditEventSummary[] {
  const events = version.busEvents;
  const rows: AuditEventSummary[] = [];
  const row = (chainKind: 'bus' | 'other', action: number, event: string, of: AuditFinding[]): AuditEventSummary => {
    const count = (v: AuditVerdict) => of.filter((f) => f.verdict === v).length;
    return {
      chainKind,
      action,
      event,
      findings: of.length,
      ineffective: count('ineffective'),
      effective: count('effective'),
      propagated: count('propagated'),
      unknown: count('unknown'),
      blocks: of.map((f) => `${f.chain}/${f.block}`),
    };
  };
  for (const action of events.events) {
    rows.push(
      row(
        'bus',
        action,
        events.name(action)!,
        findings.filter((f) => f.bus !== null && f.action === action),
      ),
    );
  }
  const others = new Map<string, AuditFinding[]>();
  for (const f of findings) {
    if (f.bus !== null && events.name(f.action) !== undefined) continue;
    const list = others.get(f.event) ?? [];
    list.push(f);
    others.set(f.event, list);
  }
  for (const [event, of] of others) rows.push(row(of[0]!.bus !== null ? 'bus' : 'other', of[0]!.action, event, of));
  return rows;
}
