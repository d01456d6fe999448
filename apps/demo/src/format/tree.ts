import type { TraceEvent } from '@sim/core';

type Ev<T extends TraceEvent['type']> = Extract<TraceEvent, { type: T }>;

/** A chain call with what happened inside it. */
export interface ChainNode {
  readonly kind: 'chain';
  readonly call: Ev<'chain.call'>;
  /** Blocks' answers, nested chain calls, and anything printed meanwhile, in order. */
  readonly children: TreeNode[];
  ret: Ev<'chain.return'> | null;
  outcome: Ev<'chain.outcome'> | null;
}

/** Any other event. */
export interface EventNode {
  readonly kind: 'event';
  readonly event: TraceEvent;
}

export type TreeNode = ChainNode | EventNode;

/** Nests a flat event stream: each chain call holds the events until its return; outcomes join their call. */
export function buildTree(events: readonly TraceEvent[]): TreeNode[] {
  const root: TreeNode[] = [];
  const stack: { node: ChainNode | null; list: TreeNode[] }[] = [{ node: null, list: root }];
  let lastClosed: ChainNode | null = null;
  for (const e of events) {
    const top = stack[stack.length - 1]!;
    if (e.type === 'chain.call') {
      const node: ChainNode = { kind: 'chain', call: e, children: [], ret: null, outcome: null };
      top.list.push(node);
      stack.push({ node, list: node.children });
      lastClosed = null;
    } else if (e.type === 'chain.return' && top.node !== null && top.node.call.chain === e.chain) {
      top.node.ret = e;
      lastClosed = top.node;
      stack.pop();
    } else if (
      e.type === 'chain.outcome' &&
      lastClosed !== null &&
      lastClosed.outcome === null &&
      lastClosed.call.chain === e.chain &&
      lastClosed.call.action === e.action
    ) {
      lastClosed.outcome = e;
    } else {
      top.list.push({ kind: 'event', event: e });
      if (e.type !== 'dmesg') lastClosed = null;
    }
  }
  return root;
}

/** True when a chain call had no block to call (an empty chain): nothing to show. */
export function emptyCall(n: ChainNode): boolean {
  return (n.ret?.nrCalls ?? 0) === 0 && n.children.length === 0;
}
