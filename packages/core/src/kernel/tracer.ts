import { SimError, show } from '../errors/sim-error.ts';
import type { TraceEvent, TraceEventInput } from './trace.ts';

/** A recording of the trace stream. */
export interface TraceRecording {
  /** The events so far, in order. */
  readonly events: readonly TraceEvent[];
  /** Stops recording (the events stay). */
  stop(): void;
}

/** The kernel's trace stream: one typed event stream for everything that happens. Off, it costs nothing. */
export interface Trace {
  /** True while anyone listens. */
  readonly enabled: boolean;
  /** Calls `listener` for every event from now on; returns the unsubscribe. */
  subscribe(listener: (event: TraceEvent) => void): () => void;
  /** Records events into an array from now on. */
  record(): TraceRecording;
}

/** The stream's implementation; the kernel turns chain observers on and off with it. */
export class Tracer implements Trace {
  private listeners: ((event: TraceEvent) => void)[] = [];
  enabled = false;
  private seq = 0;
  /** Nesting of chain calls, for indentation. */
  depth = 0;

  constructor(
    private readonly clock: () => number,
    private readonly onToggle: (enabled: boolean) => void,
    /** Told of each subscription's undo (the kernel keeps it while a plugin's setup runs). */
    private readonly onSubscribe: (undo: () => void) => void = () => {},
  ) {}

  subscribe(listener: (event: TraceEvent) => void): () => void {
    if (typeof listener !== 'function') {
      throw new SimError(
        'SIM_ERR_KERNEL_BAD_ARGUMENT',
        `trace.subscribe() takes a listener function (event) => void, got ${show(listener)}`,
      );
    }
    this.listeners = [...this.listeners, listener];
    this.toggle();
    let done = false;
    const unsubscribe = () => {
      if (done) return;
      done = true;
      this.listeners = this.listeners.filter((l) => l !== listener);
      this.toggle();
    };
    this.onSubscribe(unsubscribe);
    return unsubscribe;
  }

  record(): TraceRecording {
    const events: TraceEvent[] = [];
    const stop = this.subscribe((e) => events.push(e));
    return { events, stop };
  }

  /** Adds an event (only called when enabled; callers check `enabled` before building one). */
  emit(event: TraceEventInput): void {
    const full = { ...event, seq: this.seq++, ts: this.clock(), depth: this.depth } as TraceEvent;
    for (const l of this.listeners) l(full);
  }

  private toggle(): void {
    const on = this.listeners.length > 0;
    if (on !== this.enabled) {
      this.enabled = on;
      this.onToggle(on);
    }
  }
}

/** The events as JSON Lines, one object per line. */
export function toJsonl(events: readonly TraceEvent[]): string {
  return events.map((e) => JSON.stringify(e)).join('\n') + (events.length > 0 ? '\n' : '');
}
