/**
 * The compiled tier of a chain's call (see docs/decisions/2026-11-26-compiled-chain-walk.md). A chain that is
 * called repeatedly without changing gets a callChain generated for its current blocks, installed on the instance
 * as tapable installs `hook.call`: one call site per block, so the engine can inline each callback. The generated
 * text holds only indices and fixed identifiers, never user text. The kernel's pointer walk stays the
 * specification: when a callback changes the chain mid-call, the compiled code hands over to it at the node the
 * kernel would visit next.
 */

/** The chain fields the generated code reads and writes (plain properties at run time). */
export interface CompiledChainState {
  /** Bumped on every change of the list. */
  readonly version: number;
  /** Calls of the chain on the stack. */
  depth: number;
}

/** What the generated code calls back into. */
export interface WalkHost<D> {
  /** Throws the misuse error for a bad action. */
  badAction(action: unknown): never;
  /** Records the stack-overflow splat and returns the chain's answer for it. */
  overflow(action: number): number;
  /** Throws the misuse error for a non-int return of block `i`. */
  badReturn(i: number, ret: unknown): never;
  /** Continues the kernel's pointer walk at node `i` (or the end) with the walk's current `ret`. */
  resume(i: number, ret: number, action: number, data: D): number;
}

/** A generated callChain. */
export type CompiledCall<D> = (action: number, data: D) => number;

/** Longest chain that gets compiled; longer ones stay on the loop (huge functions are not optimized anyway). */
export const MAX_COMPILED_BLOCKS = 128;

let available = true;

/**
 * Generates callChain for `fns[i](action, data, nbs[i])`, i = 0..n-1, or returns null where code generation is not
 * allowed (a Content-Security-Policy without 'unsafe-eval'), in which case the chain keeps its loop. The chain
 * passes each callback already bound to its block (so `this` is the block in both tiers): the engine inlines a
 * bound function at a call site as it does a plain one, where `fn.call(nb, ...)` would stay an out-of-line call.
 */
export function compileCall<D, B>(
  fns: readonly ((action: number, data: D, nb: B) => number)[],
  nbs: readonly B[],
  host: WalkHost<D>,
  chain: CompiledChainState,
  maxDepth: number,
): CompiledCall<D> | null {
  const n = fns.length;
  if (!available || n === 0 || n > MAX_COMPILED_BLOCKS) return null;
  const params: string[] = [];
  const lines = [
    '"use strict";',
    'return function callChain(action, data) {',
    "if (typeof action !== 'number' || action >>> 0 !== action) host.badAction(action);",
    'if (chain.depth >= maxDepth) return host.overflow(action);',
    'chain.depth++;',
    'try {',
    'var ret = 0;',
    'var v = chain.version;',
  ];
  for (let i = 0; i < n; i++) {
    params.push(`f${i}`, `b${i}`);
    lines.push(
      `ret = f${i}(action, data, b${i});`,
      `if (typeof ret !== 'number' || (ret | 0) !== ret) host.badReturn(${i}, ret);`,
      'if (ret & 0x8000) return ret;',
      `if (chain.version !== v) return host.resume(${i + 1}, ret, action, data);`,
    );
  }
  lines.push('return ret;', '} finally {', 'chain.depth--;', '}', '};');
  const args: unknown[] = [];
  for (let i = 0; i < n; i++) args.push(fns[i], nbs[i]);
  try {
    const factory = new Function(...params, 'host', 'chain', 'maxDepth', lines.join('\n')) as (
      ...a: unknown[]
    ) => CompiledCall<D>;
    return factory(...args, host, chain, maxDepth);
  } catch {
    available = false;
    return null;
  }
}
