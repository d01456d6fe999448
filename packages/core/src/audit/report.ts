import type { NotifyOutcome } from '../kernel/trace.ts';
import type { KernelBase } from '../kernel/versions.ts';
import type { DecodedAnswer } from './decode.ts';

/**
 * What became of a notifier answer. `ignored`, `honoured` and `propagated` are what the chain's caller did with
 * the chain's answer; `overwritten`: the answer had no stop bit and a later block's answer replaced it before the
 * caller saw anything; `unreported`: the chain's caller did not say (not a driver-core bus call, and no
 * `kernel.traceOutcome()` for it).
 */
export type AuditOutcome = NotifyOutcome | 'overwritten' | 'unreported';

/** Where an answer's outcome comes from. */
export type AuditOutcomeSource =
  /** The caller's own `chain.outcome` event in the trace. */
  | 'trace'
  /** The v4.12 driver-core caller of that bus event (for chain calls no driver-core caller made). */
  | 'caller-table'
  /** The chain walk itself (overwritten answers). */
  | 'chain'
  | 'none';

/** A notifier's verdict over all its answers: did any of them change what the kernel did? */
export type AuditVerdict =
  /** Some answer was honoured: it changed what the caller did. */
  | 'effective'
  /** No answer honoured, some passed on by a caller to its own caller. */
  | 'propagated'
  /** No answer honoured or passed on, some with no reported outcome. */
  | 'unknown'
  /** Every answer ignored or overwritten: nothing it said changed anything but the chain walk. */
  | 'ineffective';

/** One distinct answer of one block to one event (equal answers with equal fates are counted together). */
export interface AuditAnswer {
  readonly value: number;
  readonly decoded: DecodedAnswer;
  /** The device the chain was called with (the first one, when counted together), or null for NULL data. */
  readonly device: string | null;
  /** Who called the chain, as the trace names it (e.g. `device_add`, or the due-diligence run's driver). */
  readonly calledBy: string | null;
  readonly outcome: AuditOutcome;
  readonly outcomeSource: AuditOutcomeSource;
  /** The function that did something with the answer (the caller, or the caller table's driver-core caller). */
  readonly handledBy: string | null;
  /** What it did, in words. */
  readonly effect: string;
  /** For an overwritten answer: the next block, whose answer replaced it. */
  readonly overwrittenBy: { readonly block: string; readonly value: number } | null;
  /** The blocks registered after this one that were never called for this event because the answer stopped the walk. */
  readonly collateral: readonly string[];
  /**
   * For an answer that stopped a bind (honoured on BUS_NOTIFY_BIND_DRIVER): the blocks called before it in the same
   * chain call, which may have acted on a bind that then did not happen, each with whether the driver core gave it
   * the chance to undo (it was called with BUS_NOTIFY_DRIVER_NOT_BOUND for the same device afterwards). Absent
   * otherwise.
   */
  readonly actedBefore?: readonly AuditActedBefore[];
  /** How many chain calls gave this answer with this fate. */
  readonly count: number;
  /** The parts of the run it came from: `scenario`, `exercise:<plugin>`, `lifecycle:<bus>`, `null-data:<bus>`. */
  readonly sources: readonly string[];
}

/** A block that ran before a veto that stopped a bind (the veto's collateral on the blocks before it). */
export interface AuditActedBefore {
  readonly block: string;
  /** Its answer to the vetoed BUS_NOTIFY_BIND_DRIVER. */
  readonly value: number;
  /** The event that gave it the chance to undo what it did (`BUS_NOTIFY_DRIVER_NOT_BOUND`), or null: none did. */
  readonly undoneOn: string | null;
}

/** Every answer other than 0 / NOTIFY_OK / NOTIFY_DONE of one block to one event on one chain. */
export interface AuditFinding {
  /** The chain's name (a bus chain is named after its bus). */
  readonly chain: string;
  /** The bus, for a bus notifier chain; null for another chain (e.g. an IOMMU group's). */
  readonly bus: string | null;
  readonly action: number;
  /** The action's name, e.g. `BUS_NOTIFY_ADD_DEVICE`. */
  readonly event: string;
  readonly block: string;
  readonly verdict: AuditVerdict;
  readonly answers: readonly AuditAnswer[];
}

/** A kernel death during the run (a NULL pointer dereference on NULL data, a BUG, an exception in a callback). */
export interface AuditCrash {
  readonly chain: string | null;
  readonly action: number | null;
  readonly event: string | null;
  /** The block that was running, when the audit can tell. */
  readonly block: string | null;
  readonly device: string | null;
  readonly message: string;
  readonly where: string;
  readonly source: string;
}

/** The findings of one event, counted by verdict. */
export interface AuditEventSummary {
  readonly chainKind: 'bus' | 'other';
  readonly action: number;
  readonly event: string;
  /** Blocks with at least one answer other than 0 / NOTIFY_OK / NOTIFY_DONE. */
  readonly findings: number;
  readonly ineffective: number;
  readonly effective: number;
  readonly propagated: number;
  readonly unknown: number;
  /** Those blocks, as `chain/block`. */
  readonly blocks: readonly string[];
}

/** How often a registered block was called during the run (0: the run never reached it). */
export interface AuditCoverage {
  readonly chain: string;
  readonly block: string;
  readonly calls: number;
}

/** The audit of a run: JSON-friendly (plain objects, numbers, strings and arrays only). */
export interface AuditReport {
  /** `scenario` (recorded from a kernel or a trace) or `due-diligence` (auditDueDiligence()). */
  readonly kind: 'scenario' | 'due-diligence';
  readonly profile: string;
  /** The profile's base kernel ('4.12' or '6.12'): its BUS_NOTIFY_* numbering is the report's. */
  readonly base: KernelBase;
  readonly flags: readonly string[];
  /** Kernels the run used (the due-diligence run makes one per part). */
  readonly kernels: number;
  /** Chain calls seen. */
  readonly chainCalls: number;
  readonly findings: readonly AuditFinding[];
  /**
   * Plugins of the due-diligence run that do not run on this base kernel (their notifier is gone there), each with
   * the plugin's reason. Empty for a scenario.
   */
  readonly unsupported: readonly { readonly plugin: string; readonly reason: string }[];
  /** The eight BUS_NOTIFY_* events always, in value order, then other chains' actions that have findings. */
  readonly byEvent: readonly AuditEventSummary[];
  readonly crashes: readonly AuditCrash[];
  /** The bus notifier blocks known at the end of the run, with their call counts. */
  readonly coverage: readonly AuditCoverage[];
  /**
   * The due-diligence run's check of a claim (`auditDueDiligence({ claimed })`, e.g. the seed's paragraph): the
   * blocks it names, those with findings it left out, and those it names that had none. Absent without a claim.
   */
  readonly claims?: {
    readonly claimed: readonly string[];
    /** `chain/block` of each finding whose block the claim does not name. */
    readonly missed: readonly string[];
    /** Blocks the claim names that gave no answer other than 0 / NOTIFY_OK / NOTIFY_DONE. */
    readonly unfound: readonly string[];
  };
  readonly totals: {
    readonly findings: number;
    readonly ineffective: number;
    readonly effective: number;
    readonly propagated: number;
    readonly unknown: number;
  };
}
