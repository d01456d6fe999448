import { createKernel, type Kernel, type KernelOptions, type TraceEvent } from '@sim/core';

/** The GPU used across the tests. */
export const GPU = { bus: 'pci', address: '0000:01:00.0', vendor: 0x10de, device: 0x1b80, class: 0x030000 } as const;
export const NOUVEAU = { name: 'nouveau', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x1b80 }] } as const;

/**
 * Renders the events that matter for bind-path sequences as lines: bus notifications, probes, binds, and the lines
 * the kernel logged at info level or above.
 */
export function sequence(events: readonly TraceEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.type === 'chain.call' && e.actionName.startsWith('BUS_NOTIFY_')) {
      out.push(`${e.chain} ${e.actionName} ${e.device ?? 'NULL'}`);
    } else if (e.type === 'probe') {
      out.push(`probe ${e.driver} ${e.device} -> ${e.ret}`);
    } else if (e.type === 'dmesg' && e.level <= 6) {
      out.push(`dmesg ${e.text}`);
    }
  }
  return out;
}

/** Reads a fixture: its lines without comments and blank lines. */
export async function fixture(name: string): Promise<string[]> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** A kernel with tracing on from the start; `events` holds everything that happened. */
export function traced(options?: KernelOptions): { k: Kernel; events: TraceEvent[] } {
  const k = createKernel(options);
  const { events } = k.trace.record();
  return { k, events: events as TraceEvent[] };
}

/** Everything observable about a kernel's driver-model state, for "nothing changed" checks. */
export function snapshot(k: Kernel): unknown {
  return {
    devices: k.devices().map((d) => ({
      name: d.name,
      bus: d.bus.name,
      driver: d.driver?.name ?? null,
      bound: d.isBound,
      registered: d.isRegistered,
      override: d.driverOverride,
    })),
    drivers: k.buses().flatMap((b) =>
      b.drivers().map((drv) => ({
        bus: b.name,
        name: drv.name,
        devices: drv.devices().map((d) => d.name),
        dynids: drv.dynids(),
      })),
    ),
    autoprobe: k.buses().map((b) => [b.name, b.driversAutoprobe]),
    notifiers: k.buses().map((b) => [b.name, b.notifier.blocks().map((nb) => nb.name)]),
  };
}
