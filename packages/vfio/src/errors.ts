/**
 * The misuse codes of @sim/vfio (kernel failures are return values, never these). docs/errors.md lists them under
 * "@sim/vfio"; a test keeps the two in step.
 */
export const VFIO_ERROR_CODES = {
  SIM_ERR_VFIO_BAD_OPTION: 'vfioPlugin() got an option of the wrong type or range.',
  SIM_ERR_VFIO_NOT_IN_USE: 'An @sim/vfio function was called on a kernel that does not use vfioPlugin().',
  SIM_ERR_VFIO_UNKNOWN_GROUP: 'explainGroup() was asked about an IOMMU group id the kernel does not have.',
  SIM_ERR_VFIO_BAD_ARGUMENT: 'A function got something that is not a device, driver spec, story or step it can use.',
} as const;

declare module '@sim/core' {
  interface SimErrorCodes {
    SIM_ERR_VFIO_BAD_OPTION: true;
    SIM_ERR_VFIO_NOT_IN_USE: true;
    SIM_ERR_VFIO_UNKNOWN_GROUP: true;
    SIM_ERR_VFIO_BAD_ARGUMENT: true;
  }
}
