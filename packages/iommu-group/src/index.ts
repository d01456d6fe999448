// The public surface of @sim/iommu-group. Everything a user or another plugin may import is named here.

export {
  IOMMU_GROUP_NOTIFY_ADD_DEVICE,
  IOMMU_GROUP_NOTIFY_BIND_DRIVER,
  IOMMU_GROUP_NOTIFY_BOUND_DRIVER,
  IOMMU_GROUP_NOTIFY_DEL_DEVICE,
  IOMMU_GROUP_NOTIFY_EVENTS,
  IOMMU_GROUP_NOTIFY_UNBIND_DRIVER,
  IOMMU_GROUP_NOTIFY_UNBOUND_DRIVER,
  iommuGroupNotifyName,
  PERCOLATE,
  PERCOLATE_FLAG,
} from './constants.ts';
export { IOMMU_ERROR_CODES } from './errors.ts';
export {
  type DmaOwner,
  deviceIommuGroup,
  findIommuGroup,
  IOMMU_GROUPS_DIR,
  IOMMU_STATE_LAYOUT,
  type IommuDomainKind,
  type IommuGroup,
  iommuAttachGroup,
  iommuDetachGroup,
  iommuDeviceClaimDmaOwner,
  iommuDeviceReleaseDmaOwner,
  iommuGroupAddDevice,
  iommuGroupAlloc,
  iommuGroupClaimDmaOwner,
  iommuGroupDmaOwnerClaimed,
  iommuGroupForEachDev,
  iommuGroupGet,
  iommuGroupGetById,
  iommuGroupId,
  iommuGroupPut,
  iommuGroupRefGet,
  iommuGroupRegisterNotifier,
  iommuGroupReleaseDmaOwner,
  iommuGroupRemoveDevice,
  iommuGroupSetName,
  iommuGroups,
  iommuGroupUnregisterNotifier,
  usesIommuGroups,
} from './iommu.ts';
export { groupActionOf, IOMMU_BUS_NOTIFIER } from './iommu-bus.ts';
export { type GroupRule, type IommuGroupOptions, type ReservedRegion, X86_MSI_REGION } from './options.ts';
export { IOMMU_GROUP_PLUGIN, iommuGroupPlugin } from './plugin.ts';
