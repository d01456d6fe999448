// The public surface of @sim/acpi-lpss.

export {
  ACPI_LPSS_NOTIFIER_NAME,
  ACPI_LPSS_PLUGIN_NAME,
  ACPI_LPSS_PM_DOMAIN,
  type AcpiLpssOptions,
  type AcpiLpssState,
  acpiLpssPlatformNotify,
  acpiLpssPlugin,
  LPSS_ATTR_GROUP,
  pmDomainOf,
} from './acpi-lpss.ts';
export {
  type AcpiCompanion,
  type AcpiCompanionSpec,
  acpiCompanion,
  acpiMatchDevice,
  type LpssPrivateData,
  lpssPrivateData,
} from './companion.ts';
export { ACPI_LPSS_ERROR_CODES } from './errors.ts';
export {
  ACPI_LPSS_DEVICE_IDS_V4_12,
  ACPI_LPSS_DEVICE_IDS_V6_12,
  acpiLpssDeviceIds,
  LPSS_AUTO_LTR,
  LPSS_CLK,
  LPSS_CLK_DIVIDER,
  LPSS_CLK_GATE,
  LPSS_GENERAL,
  LPSS_GENERAL_LTR_MODE_SW,
  LPSS_LTR,
  LPSS_LTR_SIZE,
  LPSS_NO_D3_DELAY_V4_12,
  LPSS_NO_D3_DELAY_V6_12,
  LPSS_SAVE_CTX,
  LPSS_SAVE_CTX_ONCE,
  LPSS_SW_LTR,
  type LpssDeviceDesc,
  type LpssDeviceId,
} from './tables.ts';
