/**
 * The misuse codes of @sim/iommu-group (kernel failures are return values, never these). docs/errors.md lists them
 * under "@sim/iommu-group"; a test keeps the two in step.
 */
export const IOMMU_ERROR_CODES = {
  SIM_ERR_IOMMU_BAD_OPTION:
    'iommuGroupPlugin() got an option of the wrong type or range, or a bus that is not registered.',
  SIM_ERR_IOMMU_NOT_IN_USE: 'An @sim/iommu-group function was called on a kernel that does not use iommuGroupPlugin().',
  SIM_ERR_IOMMU_BAD_ARGUMENT:
    'A function got something that is not a device or an IOMMU group of this package, or a device in no group where one is needed.',
  SIM_ERR_IOMMU_GROUP_RELEASED: 'An IOMMU group was used after its last reference went and it was released.',
  SIM_ERR_IOMMU_NO_GROUP_CHAIN:
    "An IOMMU group's notifier chain was asked for on a kernel that has none (6.12: removed in v5.19).",
  SIM_ERR_IOMMU_NO_DMA_OWNERSHIP:
    'A DMA ownership function was called on a kernel that has none (v4.12: it came in v5.19).',
} as const;

declare module '@sim/core' {
  interface SimErrorCodes {
    SIM_ERR_IOMMU_BAD_OPTION: true;
    SIM_ERR_IOMMU_NOT_IN_USE: true;
    SIM_ERR_IOMMU_BAD_ARGUMENT: true;
    SIM_ERR_IOMMU_GROUP_RELEASED: true;
    SIM_ERR_IOMMU_NO_GROUP_CHAIN: true;
    SIM_ERR_IOMMU_NO_DMA_OWNERSHIP: true;
  }
}
