/** What the kernel left behind when it died: the oops record. */
export interface Oops {
  /** Where it happened, e.g. `drivers/vfio/vfio.c:733`. */
  readonly where: string;
  /** The headline, e.g. `kernel BUG at drivers/vfio/vfio.c:733!`. */
  readonly message: string;
  /** The simulated call path, outermost first (the operation, then the kernel functions it went through). */
  readonly callPath: readonly string[];
  /** For an oops caused by an exception in plugin or user code: that exception. */
  readonly cause?: unknown;
}

/** The kernel's own unwinding exceptions, recognised by identity (instanceof throws on a revoked proxy). */
const unwinds = new WeakSet<object>();

/** Thrown inside the simulated kernel by BUG() and fatal splats; caught at the operation's boundary. */
export class KernelOops extends Error {
  constructor(readonly oops: Oops) {
    super(oops.message);
    this.name = 'KernelOops';
    unwinds.add(this);
  }

  /** True for a KernelOops; never throws, whatever `e` is. */
  static is(e: unknown): e is KernelOops {
    return typeof e === 'object' && e !== null && unwinds.has(e) && e instanceof KernelOops;
  }
}

/** Thrown where the kernel would deadlock on a lock this task holds; the operation returns -EDEADLK. */
export class Deadlock extends Error {
  constructor(readonly lock: string) {
    super(`deadlock on ${lock}`);
    this.name = 'Deadlock';
    unwinds.add(this);
  }

  /** True for a Deadlock; never throws, whatever `e` is. */
  static is(e: unknown): e is Deadlock {
    return typeof e === 'object' && e !== null && unwinds.has(e) && e instanceof Deadlock;
  }
}
