// The public surface of @sim/tce-iommu.

export { TCE_ERROR_CODES } from './errors.ts';
export { TCE_IOMMU_NOTIFIER_NAME } from './iommu.ts';
export {
  TCE_IOMMU_GONE,
  TCE_IOMMU_PLUGIN,
  type TceIommuOptions,
  type TceIommuState,
  type TcePlatform,
  tceIommuPlugin,
} from './plugin.ts';
export { type TceTable, type TceTableSpec, tceTable } from './tce.ts';
