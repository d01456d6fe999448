/**
 * Models an `ida` used as `ida_simple_get(ida, 0, 0, ...)` / `ida_simple_remove()`, lib/idr.c: each get returns the
 * lowest free integer >= 0, with no upper limit, and removed ids are handed out again. `reserved` ids are never
 * handed out by get(): they are the ids a topology pins to named groups (see getExact()).
 */
export class Ida {
  private readonly used = new Set<number>();
  /** No free id below this one (a hint that keeps sequential allocation linear). */
  private low = 0;

  constructor(private readonly reserved: ReadonlySet<number> = new Set()) {}

  /** ida_simple_get(ida, 0, 0): the lowest free, unreserved id. */
  get(): number {
    let id = this.low;
    while (this.used.has(id) || this.reserved.has(id)) id++;
    this.used.add(id);
    this.low = id + 1;
    return id;
  }

  /** ida_simple_get(ida, id, id + 1): exactly `id`, or -1 when it is taken. */
  getExact(id: number): number {
    if (this.used.has(id)) return -1;
    this.used.add(id);
    return id;
  }

  /** ida_simple_remove(). */
  remove(id: number): void {
    if (this.used.delete(id) && id < this.low) this.low = id;
  }

  has(id: number): boolean {
    return this.used.has(id);
  }
}
