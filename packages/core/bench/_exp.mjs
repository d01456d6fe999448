import { createKernel } from '@sim/core';

function address(i) {
  const h = (n, w) => n.toString(16).padStart(w, '0');
  const domain = Math.floor(i / 65536),
    rest = i % 65536;
  return `${h(domain, 4)}:${h(Math.floor(rest / 256), 2)}:${h(Math.floor((rest % 256) / 8), 2)}.${rest % 8}`;
}
const N = 1e6;
const specs = [];
for (let i = 0; i < N; i++)
  specs.push({ bus: 'pci', address: address(i), vendor: 0x8086, device: 0x10ed, class: 0x020000 });
const k = createKernel({ dynamicDebug: false });
const t0 = performance.now();
for (let i = 0; i < N; i++) k.addDevice(specs[i]);
console.log((performance.now() - t0).toFixed(0), 'ms');
