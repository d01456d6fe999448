// Scale: N PCI devices hot-added and bound to a matching driver, four bus notifiers registered, trace off.
import { createKernel, NOTIFY_DONE, NOTIFY_OK } from '@sim/core';

function address(i) {
  const domain = Math.floor(i / 65536);
  const rest = i % 65536;
  const bus = Math.floor(rest / 256);
  const slot = Math.floor((rest % 256) / 8);
  const fn = rest % 8;
  const h = (n, w) => n.toString(16).padStart(w, '0');
  return `${h(domain, 4)}:${h(bus, 2)}:${h(slot, 2)}.${fn}`;
}

/** The topology: n PCI functions (made before the clock starts: it is input, not work). */
function topology(n) {
  const specs = new Array(n);
  for (let i = 0; i < n; i++)
    specs[i] = { bus: 'pci', address: address(i), vendor: 0x8086, device: 0x10ed, class: 0x020000 };
  return specs;
}

/** Adds and binds n devices; returns seconds and heap bytes per device. */
export function runScale(n, { dynamicDebug = false } = {}) {
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let specs = topology(n);
  const k = createKernel({ dynamicDebug });
  const pci = k.bus('pci');
  for (let i = 0; i < 4; i++) {
    pci.registerNotifier({ name: `observer-${i}`, notifierCall: (action) => (action === 5 ? NOTIFY_OK : NOTIFY_DONE) });
  }
  k.registerDriver({ name: 'ixgbevf', bus: 'pci', ids: [{ vendor: 0x8086, device: 0x10ed }], probe: 'ok' });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) k.addDevice(specs[i]);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  // Heap per device counts what the kernel keeps (the devices, their names, indexes, lists), not the topology.
  specs = null;
  globalThis.gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  const bound = k.driver('ixgbevf', 'pci').devices().length;
  if (bound !== n) throw new Error(`only ${bound} of ${n} devices bound`);
  return { n, seconds, bytesPerDevice: (heapAfter - heapBefore) / n, kernel: k };
}

export async function main() {
  const rows = ['| devices | time | heap per device | time / time(previous) |', '|---:|---:|---:|---:|'];
  let prev = null;
  for (const n of [1e4, 1e5, 1e6]) {
    const r = runScale(n);
    rows.push(
      `| ${n.toExponential(0)} | ${r.seconds.toFixed(2)} s | ${Math.round(r.bytesPerDevice)} B | ${prev === null ? '-' : (r.seconds / prev).toFixed(1)} |`,
    );
    prev = r.seconds;
  }
  console.log(
    `\nscale: PCI devices added and bound, 4 bus notifiers, trace off, dynamic debug off (${process.version}):\n`,
  );
  console.log(rows.join('\n'));
}
