import assert from 'node:assert/strict';
import { explainGroup, runStory, seedStory } from '@sim/vfio';

// The seed story: GPU + HDMI audio in IOMMU group 1, both on vfio-pci, the group opened with a container and a
// device fd; then the audio function is unbound from vfio-pci and bound to snd_hda_intel.
const released = runStory(seedStory, { profile: 'v4.12' });
assert.equal(released.kernel.oops?.where, 'drivers/vfio/vfio.c:733'); // the audio probe ran, then BUG_ON

const planned = runStory(seedStory, { profile: 'rfc-2017' });
const bind = planned.results.find((r) => r.step.line.endsWith('/drivers/snd_hda_intel/bind'));
assert.equal(bind?.ret, -19); // -ENODEV: driver_sysfs_add() refused, the audio driver's probe never ran
assert.equal(planned.kernel.oops, null);

// Why the group is (still) safe to hand to userspace, device by device, and which binds would break it.
const why = explainGroup(planned.kernel, 1);
assert.equal(why.viable, true);
assert.deepEqual(
  why.risks.map((r) => [r.device, r.driver]),
  [['0000:01:00.1', 'snd_hda_intel']],
);

// Where history ended: Linux 6.12 refuses the same bind in dma_configure(), before any bus event: -EBUSY.
const today = runStory(seedStory, { profile: 'v6.12' });
const modern = today.results.find((r) => r.step.line.endsWith('/drivers/snd_hda_intel/bind'));
assert.equal(modern?.ret, -16); // -EBUSY: userspace owns the group's DMA; the audio driver's probe never ran
assert.equal(explainGroup(today.kernel, 1).ownership?.owner, '/dev/vfio/1');
