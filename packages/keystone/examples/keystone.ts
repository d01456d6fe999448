import assert from 'node:assert/strict';
import { BUS_NOTIFY_ADD_DEVICE, createKernel, KERN_ERR, NOTIFY_BAD } from '@sim/core';
import { keystonePlugin } from '@sim/keystone';

// A Keystone 2 board running an LPAE kernel from the high alias of DDR (the default physOffset).
const kernel = createKernel({
  machine: { compatible: ['ti,k2hk-evm', 'ti,k2hk', 'ti,keystone'], model: 'K2HK EVM' },
  plugins: [keystonePlugin()],
});

// A platform device registered by code (no device-tree node) gets the DMA pfn offset, with a dev_err line.
assert.equal(kernel.addDevice({ bus: 'platform', name: 'keystone-rproc', id: 0 }), 0);
assert.equal(kernel.device('keystone-rproc.0')?.dmaPfnOffset, 0x780000);
assert.deepEqual(kernel.dmesg.lines({ level: KERN_ERR, timestamps: false }), [
  'platform keystone-rproc.0: set dma_pfn_offset00780000',
]);

// A device-tree device is left alone.
kernel.addDevice({ bus: 'platform', name: '2530c00.serial', ofNode: { compatible: ['ti,da830-uart'] } });
assert.equal(kernel.device('2530c00.serial')?.dmaPfnOffset, 0);

// NULL data on BUS_NOTIFY_ADD_DEVICE is answered NOTIFY_BAD (device_add() never passes NULL, and ignores answers).
const platform = kernel.bus('platform').notifier;
assert.equal(kernel.callChain(platform, BUS_NOTIFY_ADD_DEVICE, null, 'example'), NOTIFY_BAD);

// On any other machine, or from the low alias, nothing is registered.
const pc = createKernel({ plugins: [keystonePlugin()] });
assert.deepEqual(pc.bus('platform').notifier.blocks(), []);
