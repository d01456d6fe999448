import { EDEADLK, EEXIST, ENOENT } from '../constants/errno.ts';
import { NOTIFY_BAD, NOTIFY_DONE, NOTIFY_STOP_MASK } from '../constants/notifier.ts';
import { SimError, show } from '../errors/sim-error.ts';
import type { KernelBase } from '../kernel/versions.ts';
import { type CompiledChainState, compileCall, type WalkHost } from './compile.ts';
import type {
  ChainKind,
  ChainObserver,
  NotifierBlock,
  NotifierFn,
  NrCalls,
  Registration,
  Splat,
  SplatKind,
} from './notifier-block.ts';

/**
 * One list node; in the kernel the block is the node, here the node wraps the caller's block. Nodes never leave
 * this module: callbacks are called with `this` and the last argument set to the block the user registered.
 */
interface Node<D> {
  readonly nb: NotifierBlock<D>;
  /** The block's notifierCall (read once, at registration) bound to the block, so `this` is the block. */
  readonly fn: NotifierFn<D>;
  readonly priority: number;
  readonly sleeps: boolean;
  next: Node<D> | null;
}

/** Options every chain accepts. */
export interface ChainOptions {
  /** Called after a hazard is recorded (sim's kernel prints it and turns fatal ones into an oops). */
  onSplat?: (splat: Splat) => void;
  /** True while the system is booting: blocking and srcu (un)registration then skip their lock, as v4.12 does. */
  booting?: () => boolean;
  /** Nesting depth beyond which a re-entrant call is reported as a kernel stack overflow. Default 64. */
  maxDepth?: number;
  /**
   * Calls without a change after which the chain compiles its walk (the fast tier); default 8, 0 compiles at the
   * first call, Infinity never compiles. Behaviour is identical either way.
   */
  compileAfter?: number;
  /**
   * Called with the exact undo of each change of the list (a registration, an unregistration): the kernel's plugin
   * host keeps them while a plugin's setup runs and undoes them in reverse when the setup fails.
   */
  journal?: (undo: () => void) => void;
  /**
   * The kernel whose notifier_chain_register() the chain follows for a block registered twice. '4.12' (default): no
   * check, the block is linked again and the list corrupted as v4.12 corrupts it (it may point at itself, and a
   * walk that reaches it never ends: a fatal `soft-lockup` splat; or the blocks after it are unlinked), with a
   * `double-register` splat naming the damage. '6.12': WARN "notifier callback %ps already registered", -EEXIST,
   * the chain unchanged.
   */
  base?: KernelBase;
}

/** Observers grouped by the hooks they define. */
interface Hooks<D> {
  call: ChainObserver<D>[];
  block: ChainObserver<D>[];
  done: ChainObserver<D>[];
}

/** How many splats a chain keeps for inspection (`splats`); observers see every one. */
const SPLAT_HISTORY = 64;
const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const noUndo = (): number => -ENOENT;
/** Calls of a self-linked block that a limited walk (nr_to_call) still makes before sim calls it a lockup. */
const LOOP_CALLS = 65_536;

/**
 * Internal to @sim/core (not exported from the package): `chain[REFUSE](refusal)` makes every later register,
 * unregister and call of the chain throw what `refusal` throws (the kernel that owns it died or was closed).
 */
export const REFUSE: unique symbol = Symbol('@sim/core.refuse');
const bind = Function.prototype.bind;
const fnSource = Function.prototype.toString;
/** The start of an arrow function's source: `x =>`, `(a, b) =>`, `async x =>`, `async (a) =>`. */
const ARROW = /^(?:async\s*)?(?:[\w$]+|\([^()]*\))\s*=>/;

/**
 * The block's callback with `this` fixed to the block. An arrow function has no `this` of its own, so it is kept as
 * it is (a bound function costs a trampoline at every call in the loop); anything else (a method, a `function`) is
 * bound with Function.prototype.bind itself, since a callback may have a `bind` of its own.
 */
function bindCall<D>(fn: NotifierFn<D>, nb: NotifierBlock<D>): NotifierFn<D> {
  let source = '';
  try {
    source = fnSource.call(fn);
  } catch {
    // a proxy or an exotic function: bind it
  }
  return ARROW.test(source) ? fn : (bind.call(fn, nb) as NotifierFn<D>);
}

/**
 * The list and walk shared by the four chain kinds: notifier_chain_register(), notifier_chain_cond_register(),
 * notifier_chain_unregister() and notifier_call_chain() of kernel/notifier.c (v4.12), with the hazards the kernel
 * would hit reported as splats. Subclasses add each kind's locking rules.
 */
export abstract class NotifierHead<D = unknown> {
  abstract readonly kind: ChainKind;
  /** The chain's name, as traces and splats show it. */
  readonly name: string;
  /** The most recent hazards (at most 64); observers see every one. */
  readonly splats: Splat[] = [];

  private head: Node<D> | null = null;
  /** Calls of this chain currently on the (simulated) stack (read and written by the compiled tier too). */
  private depth = 0;
  private observers: ChainObserver<D>[] | null = null;
  /** The observers that have each hook, rebuilt on observe() so the walk makes monomorphic calls. */
  private hooks: Hooks<D> | null = null;
  /** Nodes whose callback sleeps, on a chain that forbids sleeping. */
  private sleepers = 0;
  /** Observers or sleepers present: take the instrumented walk. */
  private slow = false;
  private readonly onSplat: ((splat: Splat) => void) | undefined;
  private readonly journal: ((undo: () => void) => void) | undefined;
  private readonly booting: (() => boolean) | undefined;
  private readonly maxDepth: number;
  private readonly compileAfter: number;
  /** Set once the kernel that owns the chain is dead or closed: throws the refusal. */
  private refusal: (() => never) | null = null;
  /** The node a registration handle is undoing (null: unregister by the block's identity). */
  private target: Node<D> | null = null;
  private readonly base: KernelBase;
  /**
   * A linked block points at itself (v4.12 after a double registration): a walk that reaches it never ends. The
   * walks, the list helpers and compile() check it; nothing else changes on the hot path.
   */
  private looped = false;
  /** Bumped on every change of the list; the compiled tier checks it after each callback. */
  protected version = 0;
  /** Calls since the last change, counted up to compileAfter. */
  private warm = 0;
  /** The interpreted callChain, installed whenever the compiled one is dropped. */
  private readonly interpreted: (action: number, data: D) => number;

  /**
   * Models the kernel's <kind>_notifier_call_chain(nh, val, v), kernel/notifier.c: calls every block in order until
   * one returns a value with NOTIFY_STOP_MASK set, and returns the last callback's raw int (NOTIFY_DONE for an
   * empty chain). An own property, so that a hot chain can install its compiled tier here.
   */
  callChain: (action: number, data: D) => number;

  constructor(name: string, options: ChainOptions = {}) {
    if (typeof name !== 'string' || name === '') {
      throw new SimError(
        'SIM_ERR_NOTIFIER_BAD_NAME',
        `a notifier chain needs a name, got ${show(name)}; pass one such as createNotifierChain('blocking', 'reboot')`,
      );
    }
    this.name = name;
    if (typeof options !== 'object' || options === null) {
      throw new SimError(
        'SIM_ERR_NOTIFIER_BAD_OPTION',
        `chain '${name}' options must be an object such as { maxDepth: 64, compileAfter: 8 }, got ${show(options)}`,
      );
    }
    for (const key of ['onSplat', 'booting', 'journal'] as const) {
      if (options[key] !== undefined && typeof options[key] !== 'function') {
        throw new SimError(
          'SIM_ERR_NOTIFIER_BAD_OPTION',
          `chain '${name}' option ${key} must be a function, got ${show(options[key])}`,
        );
      }
    }
    this.onSplat = options.onSplat;
    this.journal = options.journal;
    this.booting = options.booting;
    this.maxDepth = options.maxDepth ?? 64;
    this.compileAfter = options.compileAfter ?? 8;
    this.base = options.base ?? '4.12';
    if (this.base !== '4.12' && this.base !== '6.12') {
      throw new SimError(
        'SIM_ERR_NOTIFIER_BAD_OPTION',
        `chain '${name}' option base is ${show(options.base)}; use '4.12' or '6.12', or leave it out`,
      );
    }
    for (const [key, value, min] of [
      ['maxDepth', this.maxDepth, 1],
      ['compileAfter', this.compileAfter, 0],
    ] as const) {
      if (
        !(value === Number.POSITIVE_INFINITY || (typeof value === 'number' && Number.isInteger(value) && value >= min))
      ) {
        throw new SimError(
          'SIM_ERR_NOTIFIER_BAD_OPTION',
          `chain '${name}' option ${key} is ${show(value)}; use an integer >= ${min} (or Infinity), or leave it out`,
        );
      }
    }
    this.interpreted = (action, data) => this.callInterpreted(action, data);
    this.callChain = this.interpreted;
  }

  /** True when no block is registered. */
  get isEmpty(): boolean {
    return this.head === null;
  }

  /** True while a call of this chain is running (a callback is on the stack). */
  get calling(): boolean {
    return this.depth > 0;
  }

  /** The registered blocks, in call order. */
  blocks(): NotifierBlock<D>[] {
    const out: NotifierBlock<D>[] = [];
    for (let n = this.head; n !== null; n = n.next === n ? null : n.next) out.push(n.nb);
    return out;
  }

  /** Priority the block was registered with, or undefined if it is not on this chain. */
  priorityOf(nb: NotifierBlock<D>): number | undefined {
    for (let n = this.head; n !== null; n = n.next === n ? null : n.next) if (n.nb === nb) return n.priority;
    return undefined;
  }

  /** See REFUSE: from now on every register, unregister and call throws what `refusal` throws. */
  [REFUSE](refusal: () => never): void {
    this.refusal = refusal;
    this.callChain = this.interpreted;
  }

  /** Adds an observer; returns its removal. */
  observe(observer: ChainObserver<D>): () => void {
    if (typeof observer !== 'object' || observer === null) {
      throw new SimError(
        'SIM_ERR_NOTIFIER_BAD_OBSERVER',
        `observe() on chain '${this.name}' needs an object of optional hooks (call, block, done, ...), got ${show(observer)}`,
      );
    }
    for (const key of ['call', 'block', 'done', 'register', 'unregister', 'splat'] as const) {
      const hook = observer[key];
      if (hook !== undefined && typeof hook !== 'function') {
        throw new SimError(
          'SIM_ERR_NOTIFIER_BAD_OBSERVER',
          `observer hook '${key}' on chain '${this.name}' must be a function, got ${show(hook)}`,
        );
      }
    }
    this.observers = this.observers === null ? [observer] : [...this.observers, observer];
    this.updateSlow();
    let removed = false;
    return () => {
      if (removed || this.observers === null) return;
      removed = true;
      const rest = this.observers.filter((o) => o !== observer);
      this.observers = rest.length === 0 ? null : rest;
      this.updateSlow();
    };
  }

  /** The interpreted tier of callChain; compiles the chain once it has been called compileAfter times unchanged. */
  private callInterpreted(action: number, data: D): number {
    if (this.refusal !== null) this.refusal();
    if (typeof action !== 'number' || action >>> 0 !== action) throw this.badAction(action);
    if (this.slow) return this.walkObserved(action, data, -1, undefined);
    if (this.head === null) return NOTIFY_DONE;
    if (this.depth >= this.maxDepth) return this.overflow(action);
    if (this.warm++ >= this.compileAfter && this.compile()) return this.callChain(action, data);
    this.depth++;
    try {
      return this.walkFrom(this.head, NOTIFY_DONE, action, data);
    } finally {
      this.depth--;
    }
  }

  /** Models the loop of notifier_call_chain(), kernel/notifier.c, from node `n` on (next captured before each call). */
  private walkFrom(n: Node<D> | null, ret: number, action: number, data: D): number {
    while (n !== null) {
      const next: Node<D> | null = n.next;
      ret = n.fn(action, data, n.nb);
      if (typeof ret !== 'number' || (ret | 0) !== ret) throw this.badReturn(n.nb, ret);
      if (ret & NOTIFY_STOP_MASK) break;
      if (next === n) return this.softLockup(n.nb, action);
      n = next;
    }
    return ret;
  }

  /** Installs the compiled tier for the current list; false where code generation is unavailable. */
  private compile(): boolean {
    if (this.looped) return false;
    const nodes: Node<D>[] = [];
    for (let n = this.head; n !== null; n = n.next) nodes.push(n);
    const host: WalkHost<D> = {
      badAction: (action) => {
        throw this.badAction(action);
      },
      overflow: (action) => this.overflow(action),
      badReturn: (i, ret) => {
        throw this.badReturn(nodes[i]!.nb, ret);
      },
      // Nothing changed before block i-1 ran, so the node the kernel captured as its `next` is nodes[i].
      resume: (i, ret, action, data) => this.walkFrom(nodes[i] ?? null, ret, action, data),
    };
    const compiled = compileCall(
      nodes.map((n) => n.fn),
      nodes.map((n) => n.nb),
      host,
      this as unknown as CompiledChainState,
      this.maxDepth,
    );
    if (compiled === null) {
      this.warm = Number.NEGATIVE_INFINITY;
      return false;
    }
    this.callChain = compiled;
    return true;
  }

  /**
   * Models __<kind>_notifier_call_chain(nh, val, v, nr_to_call, nr_calls): calls at most `nrToCall` blocks
   * (-1: no limit, 0: none) and adds one to `nrCalls.count` per callback invoked, the stopping one included.
   */
  callChainLimited(action: number, data: D, nrToCall: number, nrCalls?: NrCalls): number {
    if (this.refusal !== null) this.refusal();
    if (typeof action !== 'number' || action >>> 0 !== action) throw this.badAction(action);
    if (!Number.isInteger(nrToCall)) {
      throw new SimError(
        'SIM_ERR_NOTIFIER_BAD_NR_TO_CALL',
        `nr_to_call on chain '${this.name}' must be an integer (-1 for no limit), got ${show(nrToCall)}`,
      );
    }
    if (
      nrCalls !== undefined &&
      (typeof nrCalls !== 'object' || nrCalls === null || !Number.isInteger(nrCalls.count))
    ) {
      throw new SimError(
        'SIM_ERR_NOTIFIER_BAD_NR_TO_CALL',
        `nr_calls on chain '${this.name}' must be a counter object such as { count: 0 }, got ${show(nrCalls)}`,
      );
    }
    return this.walkObserved(action, data, nrToCall, nrCalls);
  }

  /** The instrumented walk: observers, hazard checks, nr_to_call and nr_calls. */
  private walkObserved(action: number, data: D, nrToCall: number, nrCalls: NrCalls | undefined): number {
    const hooks = this.hooks;
    if (hooks !== null) for (const o of hooks.call) o.call!(action, data);
    const blockHooks = hooks === null || hooks.block.length === 0 ? null : hooks.block;
    let n = this.head;
    let ret = NOTIFY_DONE;
    let called = 0;
    let stoppedBy: NotifierBlock<D> | null = null;
    if (n !== null && nrToCall !== 0) {
      if (this.depth >= this.maxDepth) {
        ret = this.overflow(action);
      } else {
        this.depth++;
        try {
          while (n !== null && nrToCall !== 0) {
            const next: Node<D> | null = n.next;
            if (n.sleeps) this.sleepInAtomic(n.nb, action);
            ret = n.fn(action, data, n.nb);
            if (typeof ret !== 'number' || (ret | 0) !== ret) throw this.badReturn(n.nb, ret);
            called++;
            if (nrCalls !== undefined) nrCalls.count++;
            if (blockHooks !== null)
              for (let i = 0; i < blockHooks.length; i++) blockHooks[i]!.block!(n.nb, action, data, ret);
            if (ret & NOTIFY_STOP_MASK) {
              stoppedBy = n.nb;
              break;
            }
            // A block pointing at itself: called again and again; without a (small) nr_to_call, for ever.
            if (next === n && (nrToCall < 0 || nrToCall > LOOP_CALLS)) {
              ret = this.softLockup(n.nb, action);
              break;
            }
            n = next;
            nrToCall--;
          }
        } finally {
          this.depth--;
        }
      }
    }
    if (hooks !== null) for (const o of hooks.done) o.done!(action, data, ret, called, stoppedBy);
    return ret;
  }

  /** Models notifier_chain_register(), kernel/notifier.c: insert before the first block of strictly lower priority. */
  protected chainRegister(nb: NotifierBlock<D>, needsLock: boolean): Registration {
    if (this.refusal !== null) this.refusal();
    const node = this.makeNode(nb);
    // The lock comes first: from inside a call of the same chain the kernel would block before touching the list.
    if (needsLock && this.depth > 0) return this.refuse(nb, this.recursiveLock(nb, 'register'));
    const dup = this.find(nb);
    if (dup !== null) {
      // v5.17 on: WARN and -EEXIST. v4.12: no check, the block is linked a second time (see relink()).
      if (this.base === '6.12') return this.refuse(nb, this.alreadyRegistered(nb));
      return this.relink(dup);
    }
    const spin = this.insert(node);
    if (spin !== null) return this.refuse(nb, this.registerSpins(nb, spin));
    return this.registered(node);
  }

  /** Models notifier_chain_cond_register(), kernel/notifier.c: as register, but a block already linked is kept as is. */
  protected chainCondRegister(nb: NotifierBlock<D>, needsLock: boolean): Registration {
    if (this.refusal !== null) this.refusal();
    const node = this.makeNode(nb);
    if (needsLock && this.depth > 0) return this.refuse(nb, this.recursiveLock(nb, 'register'));
    // The kernel's walk meets the block before the insertion point whenever it is linked (its own priority is
    // >= itself), so "already linked" is exactly "found".
    if (this.find(nb) !== null) {
      this.notifyRegister(nb, 0);
      return { ret: 0, unregister: noUndo };
    }
    const spin = this.insert(node);
    if (spin !== null) return this.refuse(nb, this.registerSpins(nb, spin));
    return this.registered(node);
  }

  /**
   * Models notifier_chain_unregister(), kernel/notifier.c: unlink by identity, 0 or -ENOENT. The unlinked node
   * keeps its `next`, so a walk that already holds it goes on to the old successor, as in the kernel.
   */
  protected chainUnregister(nb: NotifierBlock<D>, hazard: SplatKind | null): number {
    if (this.refusal !== null) this.refusal();
    // The kernel takes the lock (or synchronizes) whether or not the block is linked, so the hazard does not
    // depend on finding it.
    if (hazard !== null && this.depth > 0) {
      this.recordSplat(hazard === 'recursive-locking' ? this.recursiveLock(nb, 'unregister') : this.illegalSync(nb));
      this.notifyUnregister(nb, -EDEADLK);
      return -EDEADLK;
    }
    let ret = -ENOENT;
    // A handle's undo unlinks its own node; chain.unregister(nb) the first node of that block, as the kernel does.
    const target = this.target;
    const matches = (n: Node<D>): boolean => (target === null ? n.nb === nb : n === target);
    if (this.head !== null && matches(this.head)) {
      const gone = this.head;
      this.head = gone.next;
      ret = 0;
      this.removedNode(gone);
      this.journal?.(() => this.restore(gone, null));
    } else {
      for (let p = this.head; p !== null && p.next !== null; p = p.next) {
        if (matches(p.next)) {
          const gone = p.next;
          p.next = gone.next;
          ret = 0;
          this.removedNode(gone);
          const prev = p;
          this.journal?.(() => this.restore(gone, prev));
          break;
        }
        if (p.next === p) {
          // The walk reached a block that points at itself and will go round it for ever, under the chain's lock.
          this.recordSplat(this.unregisterSpins(nb, p));
          this.notifyUnregister(nb, -EDEADLK);
          return -EDEADLK;
        }
      }
    }
    this.notifyUnregister(nb, ret);
    return ret;
  }

  /** True while booting (v4.12's SYSTEM_BOOTING shortcut for blocking and srcu (un)registration). */
  protected isBooting(): boolean {
    return this.booting?.() === true;
  }

  /** Whether a callback that sleeps is a hazard on this kind of chain. */
  protected abstract readonly forbidsSleep: boolean;

  private makeNode(nb: NotifierBlock<D>): Node<D> {
    if (typeof nb !== 'object' || nb === null) {
      throw new SimError(
        'SIM_ERR_NOTIFIER_BAD_BLOCK',
        `chain '${this.name}' was given ${show(nb)} as a notifier block; pass { name, priority, notifierCall }`,
      );
    }
    if (typeof nb.name !== 'string' || nb.name.trim() === '') {
      throw new SimError(
        'SIM_ERR_NOTIFIER_MISSING_NAME',
        `a notifier block on chain '${this.name}' has name ${show(nb.name)}; give it a non-empty name such as { name: 'my-notifier', ... }`,
      );
    }
    const call = nb.notifierCall;
    if (typeof call !== 'function') {
      throw new SimError(
        'SIM_ERR_NOTIFIER_BAD_CALLBACK',
        `notifier block '${nb.name}' on chain '${this.name}' has notifierCall ${show(call)}; pass a function (action, data, nb) => number`,
      );
    }
    const priority = nb.priority ?? 0;
    if (!Number.isInteger(priority) || priority < INT32_MIN || priority > INT32_MAX) {
      throw new SimError(
        'SIM_ERR_NOTIFIER_BAD_PRIORITY',
        `notifier block '${nb.name}' on chain '${this.name}' has priority ${show(nb.priority)}; use an integer in [-2147483648, 2147483647] (higher runs first, default 0)`,
      );
    }
    return { nb, fn: bindCall(call, nb), priority, sleeps: this.forbidsSleep && nb.mightSleep === true, next: null };
  }

  private find(nb: NotifierBlock<D>): Node<D> | null {
    for (let n = this.head; n !== null; n = n.next === n ? null : n.next) if (n.nb === nb) return n;
    return null;
  }

  /** The list changed: drop the compiled walk and start counting calls again. */
  private changed(): void {
    this.version++;
    this.warm = 0;
    this.callChain = this.interpreted;
  }

  /**
   * Links a new node where notifier_chain_register()'s walk puts it. Returns null, or, on a list where a block
   * points at itself (v4.12 after a double registration) and the walk would go round it for ever, that node (the
   * list is left as it was).
   */
  private insert(node: Node<D>): Node<D> | null {
    if (this.head === null || node.priority > this.head.priority) {
      this.changed();
      node.next = this.head;
      this.head = node;
    } else {
      let p = this.head;
      while (p.next !== null && !(node.priority > p.next.priority)) {
        if (p.next === p) return p;
        p = p.next;
      }
      this.changed();
      node.next = p.next;
      p.next = node;
    }
    if (node.sleeps) {
      this.sleepers++;
      this.updateSlow();
    }
    return null;
  }

  /**
   * Models what v4.12's notifier_chain_register() does with a block that is linked already: its walk goes past the
   * block (its own priority is not greater than itself) to the last block of equal or higher priority, then sets
   * the block's `next` to what follows there and links it after that block. When that block is the block itself,
   * it now points at itself and every block after it is gone from the list; otherwise the blocks between its old
   * place and there are unlinked. The kernel returns 0 and says nothing; sim reports the damage as a
   * `double-register` splat (not fatal: the damage shows at the next call).
   */
  private relink(existing: Node<D>): Registration {
    const before = this.blocks();
    // Its journal undo puts every pointer back (a failed plugin setup that registered a block twice).
    if (this.journal !== undefined) {
      const head = this.head;
      const links: [Node<D>, Node<D> | null][] = [];
      for (let n = this.head; n !== null; n = n.next === n ? null : n.next) links.push([n, n.next]);
      this.journal(() => this.restoreLinks(head, links));
    }
    let prev: Node<D> | null = null;
    let cur = this.head;
    while (cur !== null && !(existing.priority > cur.priority)) {
      if (cur.next === cur) return this.refuse(existing.nb, this.registerSpins(existing.nb, cur));
      prev = cur;
      cur = cur.next;
    }
    this.changed();
    existing.next = cur;
    if (prev === null) this.head = existing;
    else prev.next = existing;
    // The list may have lost blocks (and their sleepers) and may now loop: recount both from what is linked.
    this.recount();
    const after = new Set(this.blocks());
    const lost = before.filter((b) => !after.has(b)).map((b) => `'${b.name}'`);
    this.recordSplat(this.doubleRegister(existing.nb, existing.next === existing, lost));
    return this.registered(existing, false);
  }

  /** A journal undo of relink(): the head and every `next` as they were, then the counts derived from them. */
  private restoreLinks(head: Node<D> | null, links: readonly [Node<D>, Node<D> | null][]): void {
    this.changed();
    this.head = head;
    for (const [n, next] of links) n.next = next;
    this.recount();
  }

  /** Sleepers and the self-loop flag, counted again from what is linked (after a v4.12 relink or its undo). */
  private recount(): void {
    let sleepers = 0;
    let looped = false;
    for (let n = this.head; n !== null; n = n.next === n ? null : n.next) {
      if (n.sleeps) sleepers++;
      if (n.next === n) looped = true;
    }
    this.sleepers = sleepers;
    this.looped = looped;
    this.updateSlow();
  }

  private removedNode(node: Node<D>): void {
    this.changed();
    if (node.sleeps) {
      this.sleepers--;
      this.updateSlow();
    }
  }

  /**
   * The handle of one registration: its undo removes that very node (a per-registration token, not the block's
   * identity), through the kind's unregister rules, and only once. After the block was unregistered some other
   * way, the handle is stale: -ENOENT, and a later registration of the same block is left alone.
   */
  private registered(node: Node<D>, journal = true): Registration {
    const nb = node.nb;
    if (journal) this.journal?.(() => this.unlink(node));
    this.notifyRegister(nb, 0);
    let done = false;
    return {
      ret: 0,
      unregister: () => {
        if (done) return -ENOENT;
        if (this.refusal !== null) this.refusal();
        if (!this.isLinked(node)) {
          done = true;
          return -ENOENT;
        }
        this.target = node;
        let ret: number;
        try {
          ret = this.unregister(nb);
        } finally {
          this.target = null;
        }
        if (ret === 0) done = true;
        return ret;
      },
    };
  }

  private isLinked(node: Node<D>): boolean {
    for (let n = this.head; n !== null; n = n.next === n ? null : n.next) if (n === node) return true;
    return false;
  }

  /** A journal undo: takes a node a registration linked off the list again (observers see the unregistration). */
  private unlink(node: Node<D>): void {
    if (this.head === node) this.head = node.next;
    else {
      let p = this.head;
      while (p !== null && p.next !== node) p = p.next === p ? null : p.next;
      if (p === null) return;
      p.next = node.next;
    }
    this.removedNode(node);
    this.notifyUnregister(node.nb, 0);
  }

  /**
   * A journal undo: links a node an unregistration took off back where it was, after `prev` (null: at the head).
   * Undone in reverse order, the list around it is as it was when the node left.
   */
  private restore(node: Node<D>, prev: Node<D> | null): void {
    if (this.isLinked(node)) return;
    if (prev === null) {
      node.next = this.head;
      this.head = node;
    } else {
      if (!this.isLinked(prev)) return;
      node.next = prev.next;
      prev.next = node;
    }
    this.changed();
    if (node.sleeps) {
      this.sleepers++;
      this.updateSlow();
    }
    this.notifyRegister(node.nb, 0);
  }

  private refuse(nb: NotifierBlock<D>, splat: Splat): Registration {
    this.recordSplat(splat);
    const ret = splat.kind === 'double-register' ? -EEXIST : -EDEADLK;
    // (a 6.12 duplicate is -EEXIST; a v4.12 duplicate is never refused: relink() links it again)
    this.notifyRegister(nb, ret);
    return { ret, unregister: noUndo };
  }

  /** Unregisters `nb` with this kind's rules (0, -ENOENT, or -EDEADLK when sim refused a hazard). */
  abstract unregister(nb: NotifierBlock<D>): number;

  private updateSlow(): void {
    const all = this.observers;
    this.hooks =
      all === null
        ? null
        : {
            call: all.filter((o) => o.call !== undefined),
            block: all.filter((o) => o.block !== undefined),
            done: all.filter((o) => o.done !== undefined),
          };
    this.slow = all !== null || this.sleepers > 0 || this.looped;
    this.warm = 0;
    this.callChain = this.interpreted;
  }

  private notifyRegister(nb: NotifierBlock<D>, ret: number): void {
    if (this.observers !== null) for (const o of this.observers) o.register?.(nb, ret);
  }

  private notifyUnregister(nb: NotifierBlock<D>, ret: number): void {
    if (this.observers !== null) for (const o of this.observers) o.unregister?.(nb, ret);
  }

  private recordSplat(splat: Splat): void {
    if (this.splats.length >= SPLAT_HISTORY) this.splats.shift();
    this.splats.push(splat);
    if (this.observers !== null) for (const o of this.observers) o.splat?.(splat);
    this.onSplat?.(splat);
  }

  /** The splat of a v4.12 double registration, naming what it did to the list. */
  private doubleRegister(nb: NotifierBlock<D>, selfLoop: boolean, lost: string[]): Splat {
    const gone = lost.length === 0 ? '' : `; ${lost.join(', ')} ${lost.length === 1 ? 'is' : 'are'} no longer on it`;
    const damage = selfLoop
      ? `'${nb.name}' now points at itself${gone}: the next call of the chain that reaches it never returns`
      : `${lost.join(', ')} ${lost.length === 1 ? 'was' : 'were'} unlinked and will not be called again`;
    return {
      kind: 'double-register',
      chain: this.name,
      block: nb.name,
      action: null,
      message: `notifier block '${nb.name}' registered twice on chain '${this.name}' (v4.12 does not check)`,
      detail: `v4.12's notifier_chain_register() linked it again and returned 0: ${damage}`,
      fatal: false,
    };
  }

  /** The WARN of 6.12's notifier_chain_register() (kernel/notifier.c:31) for a block already on the chain. */
  private alreadyRegistered(nb: NotifierBlock<D>): Splat {
    return {
      kind: 'double-register',
      chain: this.name,
      block: nb.name,
      action: null,
      message: `notifier callback ${nb.name} already registered`,
      detail: `notifier_chain_register() on chain '${this.name}' found '${nb.name}' linked already: WARN, -EEXIST, the chain unchanged (kernel/notifier.c, v5.17 on)`,
      fatal: false,
      warn: 'kernel/notifier.c:31',
    };
  }

  /** A walk through the list (to register or unregister `nb`) that reaches a block pointing at itself. */
  private registerSpins(nb: NotifierBlock<D>, loop: Node<D>): Splat {
    return {
      kind: 'soft-lockup',
      chain: this.name,
      block: loop.nb.name,
      action: null,
      message: 'watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [sim:1]',
      detail: `notifier_chain_register('${nb.name}') walks chain '${this.name}' and reaches '${loop.nb.name}', which points at itself since it was registered twice: v4.12 goes round it for ever holding the chain's lock; sim refused (-EDEADLK) and left the chain as it was`,
      fatal: true,
    };
  }

  private unregisterSpins(nb: NotifierBlock<D>, loop: Node<D>): Splat {
    return {
      ...this.registerSpins(nb, loop),
      detail: `notifier_chain_unregister('${nb.name}') walks chain '${this.name}' looking for it and reaches '${loop.nb.name}', which points at itself since it was registered twice: v4.12 goes round it for ever holding the chain's lock; sim gave up (-EDEADLK) and left the chain as it was`,
    };
  }

  /** A call of the chain that reached a block pointing at itself: v4.12 calls it for ever. Answers NOTIFY_BAD. */
  private softLockup(nb: NotifierBlock<D>, action: number): number {
    this.recordSplat({
      kind: 'soft-lockup',
      chain: this.name,
      block: nb.name,
      action,
      message: 'watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [sim:1]',
      detail: `notifier_call_chain() on chain '${this.name}' called '${nb.name}', which points at itself since it was registered twice, and it answered without the stop bit: v4.12 calls it again for ever; sim stopped the walk there and answered NOTIFY_BAD`,
      fatal: true,
    });
    return NOTIFY_BAD;
  }

  private recursiveLock(nb: NotifierBlock<D>, op: 'register' | 'unregister'): Splat {
    return {
      kind: 'recursive-locking',
      chain: this.name,
      block: nb.name,
      action: null,
      message: 'WARNING: possible recursive locking detected',
      detail: `${this.kind}_notifier_chain_${op}('${nb.name}') from inside a call of ${this.kind} chain '${this.name}' takes the chain's rwsem for writing while this task holds it for reading: v4.12 deadlocks; sim refused (-EDEADLK) and left the chain as it was`,
      fatal: false,
    };
  }

  private illegalSync(nb: NotifierBlock<D>): Splat {
    const what = this.kind === 'srcu' ? 'synchronize_srcu' : 'synchronize_rcu';
    const where = this.kind === 'srcu' ? 'same-type SRCU (or in RCU)' : 'RCU';
    return {
      kind: 'illegal-synchronize',
      chain: this.name,
      block: nb.name,
      action: null,
      message: `Illegal ${what}() in ${where} read-side critical section`,
      detail: `${this.kind}_notifier_chain_unregister('${nb.name}') from inside a call of ${this.kind} chain '${this.name}' waits for the read-side section this task is in: v4.12 never returns; sim refused (-EDEADLK) and left the chain as it was`,
      fatal: false,
    };
  }

  private sleepInAtomic(nb: NotifierBlock<D>, action: number): void {
    this.recordSplat({
      kind: 'sleep-in-atomic',
      chain: this.name,
      block: nb.name,
      action,
      message: `BUG: sleeping function called from invalid context at notifier '${nb.name}'`,
      detail: `'${nb.name}' may sleep but atomic chain '${this.name}' calls it under rcu_read_lock (in_atomic(): 1); v4.12 prints this and goes on, and so does sim`,
      fatal: false,
    });
  }

  private overflow(action: number): number {
    this.recordSplat({
      kind: 'stack-overflow',
      chain: this.name,
      block: null,
      action,
      message: 'kernel stack overflow (double-fault)',
      detail: `chain '${this.name}' was re-entered ${this.depth} calls deep (a callback calls its own chain without end): the kernel runs off its stack; sim did not call the chain again and answered NOTIFY_BAD`,
      fatal: true,
    });
    return NOTIFY_BAD;
  }

  private badAction(action: unknown): SimError {
    return new SimError(
      'SIM_ERR_NOTIFIER_BAD_ACTION',
      `chain '${this.name}' was called with action ${show(action)}; pass an unsigned 32-bit integer such as BUS_NOTIFY_ADD_DEVICE`,
    );
  }

  private badReturn(nb: NotifierBlock<D>, ret: unknown): SimError {
    return new SimError(
      'SIM_ERR_NOTIFIER_BAD_RETURN',
      `notifier block '${nb.name}' on chain '${this.name}' returned ${show(ret)}; return a 32-bit integer such as NOTIFY_DONE, NOTIFY_OK, NOTIFY_BAD or a negative errno`,
    );
  }
}
