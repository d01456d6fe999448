/** Kernel log levels of include/linux/kern_levels.h. */
export const KERN_EMERG = 0;
export const KERN_ALERT = 1;
export const KERN_CRIT = 2;
export const KERN_ERR = 3;
export const KERN_WARNING = 4;
export const KERN_NOTICE = 5;
export const KERN_INFO = 6;
export const KERN_DEBUG = 7;

/** A log level, 0 (emerg) to 7 (debug). */
export type LogLevel = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

const LEVEL_NAMES = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug'] as const;

/** The name dmesg gives a level (`dmesg --level`). */
export function levelName(level: LogLevel): (typeof LEVEL_NAMES)[number] {
  return LEVEL_NAMES[level]!;
}

/** One record of the log buffer. */
export interface LogRecord {
  /** Sequence number, from 0 for the first record the kernel printed. */
  readonly seq: number;
  /** Timestamp in nanoseconds of the kernel's deterministic clock. */
  readonly ts: number;
  readonly level: LogLevel;
  readonly text: string;
}

/** Formats a timestamp as printk does: `[    1.000123]`. */
export function formatTimestamp(ns: number): string {
  const us = Math.floor(ns / 1000);
  const sec = Math.floor(us / 1_000_000);
  const frac = String(us % 1_000_000).padStart(6, '0');
  return `[${String(sec).padStart(5, ' ')}.${frac}]`;
}

/** A record as `dmesg` prints it. */
export function formatRecord(r: LogRecord): string {
  return `${formatTimestamp(r.ts)} ${r.text}`;
}

/**
 * The kernel log buffer (kernel/printk/printk.c's log_buf): a ring of records, oldest dropped first. Reading it
 * is `dmesg`.
 */
export class LogBuffer {
  private readonly ring: (LogRecord | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.ring = new Array(capacity);
  }

  /** Appends a record (the oldest is dropped when the ring is full). */
  push(record: LogRecord): void {
    this.ring[this.next] = record;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** The records kept, oldest first, at or below `maxLevel` (7 keeps everything). */
  records(maxLevel: LogLevel = KERN_DEBUG): LogRecord[] {
    const out: LogRecord[] = [];
    const start = (this.next - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) {
      const r = this.ring[(start + i) % this.capacity]!;
      if (r.level <= maxLevel) out.push(r);
    }
    return out;
  }

  /** `dmesg -C`. */
  clear(): void {
    this.ring.fill(undefined);
    this.next = 0;
    this.count = 0;
  }
}
