// The public surface of @sim/vfio. Everything a user or another plugin may import is named here.

export * from './constants.ts';
export { VFIO_ERROR_CODES } from './errors.ts';
export {
  type BindOutcome,
  bindOutcome,
  type DeviceState,
  type DeviceVerdict,
  explainGroup,
  formatGroupExplanation,
  type GroupExplanation,
  type IsolationRisk,
  type VfioGroupSummary,
} from './explain.ts';
export type { ResolvedVfioOptions, VfioOptions } from './options.ts';
export { PCI_STUB } from './pci-stub.ts';
export { VFIO_PLUGIN, vfioPlugin } from './plugin.ts';
export {
  buildStoryKernel,
  runStory,
  SEED_PROFILES,
  type StepResult,
  type Story,
  type StoryArg,
  type StoryRun,
  type StoryStep,
  seedStory,
  seedStoryExpected,
  seedStoryNoContainer,
  seedStoryPciStub,
} from './seed-story.ts';
export { formatTrace, notifyText } from './trace-text.ts';
export {
  isUnbindBlocked,
  isVfioDriver,
  VFIO_CONTAINER_PATH,
  VFIO_STATE_LAYOUT,
  VFIO_VERSION_LINE,
  type VfioContainer,
  type VfioDevice,
  type VfioDeviceOps,
  type VfioGroup,
  vfioAddGroupDev,
  vfioDelGroupDev,
  vfioDeviceOf,
  vfioDeviceViable,
  vfioDevWhitelisted,
  vfioGroupDeviceFds,
  vfioGroupIsViable,
  vfioGroupOf,
  vfioGroups,
  vfioRegisterBusDriver,
} from './vfio.ts';
export { VFIO_PCI, VFIO_PLATFORM, type VfioPciReqTrigger, vfioPciReqTrigger } from './vfio-pci.ts';
