import assert from 'node:assert/strict';
import {
  BUS_NOTIFY_ADD_DEVICE,
  createNotifierChain,
  ENODEV,
  errname,
  NOTIFY_DONE,
  NOTIFY_OK,
  notifierToErrno,
} from '@sim/core';

const chain = createNotifierChain('blocking', 'demo-bus');
const called: string[] = [];

// A block that answers a raw errno, as tce_iommu_bus_notifier() and i2cdev_notifier_call() can.
chain.register({
  name: 'raw-errno',
  priority: 10,
  notifierCall: () => {
    called.push('raw-errno');
    return -ENODEV;
  },
});
const { unregister } = chain.register({
  name: 'later',
  notifierCall: () => {
    called.push('later');
    return NOTIFY_OK;
  },
});

const ret = chain.callChain(BUS_NOTIFY_ADD_DEVICE, { name: 'i2c-0' });
assert.equal(ret, -19); // the raw int comes back verbatim...
assert.deepEqual(called, ['raw-errno']); // ...it carried the stop bit, so 'later' never ran...
assert.equal(notifierToErrno(ret), 0); // ...and notifier_to_errno() loses it.
assert.equal(errname(ret), 'ENODEV');

assert.equal(unregister(), 0);
assert.equal(chain.unregister(chain.blocks()[0]!), 0);
assert.equal(chain.callChain(BUS_NOTIFY_ADD_DEVICE, null), NOTIFY_DONE);
