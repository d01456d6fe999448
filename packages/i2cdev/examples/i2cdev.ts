import assert from 'node:assert/strict';
import { createKernel, ENODEV, KERN_ERR } from '@sim/core';
import { i2cdevPlugin } from '@sim/i2cdev';

const kernel = createKernel();
kernel.addDevice({ bus: 'i2c', kind: 'adapter', name: 'SMBus I801 adapter at f040' }); // i2c-0, before i2c-dev

// Loading i2c-dev replays the adapters that exist; later ones get their node from the bus notifier.
kernel.use(i2cdevPlugin());
kernel.addDevice({ bus: 'i2c', kind: 'adapter', name: 'i915 gmbus dpb', nr: 3 });
assert.deepEqual(kernel.dev.list(), ['/dev/i2c-0', '/dev/i2c-3']);
assert.equal(kernel.sysfs.read('/sys/class/i2c-dev/i2c-3/name'), 'i915 gmbus dpb\n');
assert.equal(kernel.sysfs.read('/sys/class/i2c-dev/i2c-3/dev'), '89:3\n');

// An adapter numbered I2C_MINORS (1048575 in v4.12) or above: the notifier answers -ENODEV, device_add() ignores
// it, so the adapter exists but has no node.
const rec = kernel.trace.record();
assert.equal(kernel.addDevice({ bus: 'i2c', kind: 'adapter', name: 'numbered', nr: 1048575 }), 0);
rec.stop();
const answer = rec.events.find((e) => e.type === 'chain.block' && e.block === 'i2cdev_notifier_call');
assert.equal(answer?.type === 'chain.block' && answer.ret, -ENODEV);
assert.deepEqual(kernel.dmesg.lines({ level: KERN_ERR, timestamps: false }), [
  'i2c-dev: Out of device minors (1048575)',
]);
assert.equal(kernel.dev.exists('/dev/i2c-1048575'), false);

// Removing an adapter removes its node; closing the kernel unloads i2c-dev.
kernel.removeDevice('i2c-3');
assert.deepEqual(kernel.dev.list(), ['/dev/i2c-0']);
kernel.close();
assert.deepEqual(kernel.dev.list(), []);
