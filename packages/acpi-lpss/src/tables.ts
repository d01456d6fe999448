import type { KernelBase } from '@sim/core';

// The device descriptions and ACPI id table of Intel's LPSS driver: drivers/acpi/acpi_lpss.c of v4.12, and
// drivers/acpi/x86/lpss.c of 6.12 (the file moved in v6.6). Only the fields the bus notifier reads are kept:
// the flags, the private register offset and the MMIO size override.

/** LPSS flags (struct lpss_device_desc.flags). */
export const LPSS_CLK = 1 << 0;
export const LPSS_CLK_GATE = 1 << 1;
export const LPSS_CLK_DIVIDER = 1 << 2;
/** The device has LTR registers: the notifier makes the `lpss_ltr` attribute group for it. */
export const LPSS_LTR = 1 << 3;
export const LPSS_SAVE_CTX = 1 << 4;
/** v4.12: BIT(5). 6.12 moved it to BIT(6) when LPSS_SAVE_CTX_ONCE took BIT(5). */
export const LPSS_NO_D3_DELAY_V4_12 = 1 << 5;
/** 6.12 only. */
export const LPSS_SAVE_CTX_ONCE = 1 << 5;
export const LPSS_NO_D3_DELAY_V6_12 = 1 << 6;

/** LPSS_LTR_SIZE: the private registers up to the LTR ones; a smaller MMIO window cannot reach them. */
export const LPSS_LTR_SIZE = 0x18;
/** Offsets of the private registers (relative to prv_offset) that the `lpss_ltr` attributes read. */
export const LPSS_GENERAL = 0x08;
export const LPSS_GENERAL_LTR_MODE_SW = 1 << 2;
export const LPSS_SW_LTR = 0x10;
export const LPSS_AUTO_LTR = 0x14;

/** Models struct lpss_device_desc: what the notifier reads of it. */
export interface LpssDeviceDesc {
  /** The C name of the description, e.g. `lpt_i2c_dev_desc`. */
  readonly name: string;
  readonly flags: number;
  readonly prvOffset: number;
  /** prv_size_override: the MMIO size used instead of the resource's (0: none). */
  readonly prvSizeOverride: number;
}

/** One entry of acpi_lpss_device_ids[]: an ACPI _HID and its description (null: driver_data 0). */
export interface LpssDeviceId {
  readonly id: string;
  readonly desc: LpssDeviceDesc | null;
}

const d = (name: string, flags: number, prvOffset = 0, prvSizeOverride = 0): LpssDeviceDesc =>
  Object.freeze({ name, flags, prvOffset, prvSizeOverride });

const CLK3 = LPSS_CLK | LPSS_CLK_GATE | LPSS_CLK_DIVIDER;

/** The descriptions of v4.12 (drivers/acpi/acpi_lpss.c). */
const V4_12 = {
  lpss_dma_desc: d('lpss_dma_desc', LPSS_CLK),
  lpt_dev_desc: d('lpt_dev_desc', CLK3 | LPSS_LTR, 0x800),
  lpt_i2c_dev_desc: d('lpt_i2c_dev_desc', LPSS_CLK | LPSS_CLK_GATE | LPSS_LTR, 0x800),
  lpt_uart_dev_desc: d('lpt_uart_dev_desc', CLK3 | LPSS_LTR, 0x800),
  lpt_sdio_dev_desc: d('lpt_sdio_dev_desc', LPSS_LTR, 0x1000, 0x1018),
  byt_pwm_dev_desc: d('byt_pwm_dev_desc', LPSS_SAVE_CTX),
  bsw_pwm_dev_desc: d('bsw_pwm_dev_desc', LPSS_SAVE_CTX | LPSS_NO_D3_DELAY_V4_12),
  byt_uart_dev_desc: d('byt_uart_dev_desc', CLK3 | LPSS_SAVE_CTX, 0x800),
  bsw_uart_dev_desc: d('bsw_uart_dev_desc', CLK3 | LPSS_SAVE_CTX | LPSS_NO_D3_DELAY_V4_12, 0x800),
  byt_spi_dev_desc: d('byt_spi_dev_desc', CLK3 | LPSS_SAVE_CTX, 0x400),
  byt_sdio_dev_desc: d('byt_sdio_dev_desc', LPSS_CLK),
  byt_i2c_dev_desc: d('byt_i2c_dev_desc', LPSS_CLK | LPSS_SAVE_CTX, 0x800),
  bsw_i2c_dev_desc: d('bsw_i2c_dev_desc', LPSS_CLK | LPSS_SAVE_CTX | LPSS_NO_D3_DELAY_V4_12, 0x800),
  bsw_spi_dev_desc: d('bsw_spi_dev_desc', CLK3 | LPSS_SAVE_CTX | LPSS_NO_D3_DELAY_V4_12, 0x400),
};

/** The descriptions of 6.12 (drivers/acpi/x86/lpss.c): lpt_dev_desc became lpt_spi_dev_desc, SAVE_CTX spread. */
const V6_12 = {
  lpss_dma_desc: d('lpss_dma_desc', LPSS_CLK),
  lpt_spi_dev_desc: d('lpt_spi_dev_desc', CLK3 | LPSS_LTR | LPSS_SAVE_CTX, 0x800),
  lpt_i2c_dev_desc: d('lpt_i2c_dev_desc', LPSS_CLK | LPSS_CLK_GATE | LPSS_LTR | LPSS_SAVE_CTX, 0x800),
  lpt_uart_dev_desc: d('lpt_uart_dev_desc', CLK3 | LPSS_LTR | LPSS_SAVE_CTX, 0x800),
  lpt_sdio_dev_desc: d('lpt_sdio_dev_desc', LPSS_LTR, 0x1000, 0x1018),
  byt_pwm_dev_desc: d('byt_pwm_dev_desc', LPSS_SAVE_CTX, 0x800),
  bsw_pwm_dev_desc: d('bsw_pwm_dev_desc', LPSS_SAVE_CTX_ONCE | LPSS_NO_D3_DELAY_V6_12, 0x800),
  bsw_pwm2_dev_desc: d('bsw_pwm2_dev_desc', LPSS_SAVE_CTX_ONCE | LPSS_NO_D3_DELAY_V6_12, 0x800),
  byt_uart_dev_desc: d('byt_uart_dev_desc', CLK3 | LPSS_SAVE_CTX, 0x800),
  bsw_uart_dev_desc: d('bsw_uart_dev_desc', CLK3 | LPSS_SAVE_CTX | LPSS_NO_D3_DELAY_V6_12, 0x800),
  byt_spi_dev_desc: d('byt_spi_dev_desc', CLK3 | LPSS_SAVE_CTX, 0x400),
  byt_sdio_dev_desc: d('byt_sdio_dev_desc', LPSS_CLK),
  byt_i2c_dev_desc: d('byt_i2c_dev_desc', LPSS_CLK | LPSS_SAVE_CTX, 0x800),
  bsw_i2c_dev_desc: d('bsw_i2c_dev_desc', LPSS_CLK | LPSS_SAVE_CTX | LPSS_NO_D3_DELAY_V6_12, 0x800),
  bsw_spi_dev_desc: d('bsw_spi_dev_desc', CLK3 | LPSS_SAVE_CTX | LPSS_NO_D3_DELAY_V6_12, 0x400),
};

const ids = (rows: readonly [string, LpssDeviceDesc | null][]): readonly LpssDeviceId[] =>
  Object.freeze(rows.map(([id, desc]) => Object.freeze({ id, desc })));

/** acpi_lpss_device_ids[] of v4.12, in order (generic, Lynxpoint, BayTrail, Braswell, Broadwell, Wildcat Point). */
export const ACPI_LPSS_DEVICE_IDS_V4_12: readonly LpssDeviceId[] = ids([
  ['INTL9C60', V4_12.lpss_dma_desc],
  ['INT33C0', V4_12.lpt_dev_desc],
  ['INT33C1', V4_12.lpt_dev_desc],
  ['INT33C2', V4_12.lpt_i2c_dev_desc],
  ['INT33C3', V4_12.lpt_i2c_dev_desc],
  ['INT33C4', V4_12.lpt_uart_dev_desc],
  ['INT33C5', V4_12.lpt_uart_dev_desc],
  ['INT33C6', V4_12.lpt_sdio_dev_desc],
  ['INT33C7', null],
  ['80860F09', V4_12.byt_pwm_dev_desc],
  ['80860F0A', V4_12.byt_uart_dev_desc],
  ['80860F0E', V4_12.byt_spi_dev_desc],
  ['80860F14', V4_12.byt_sdio_dev_desc],
  ['80860F41', V4_12.byt_i2c_dev_desc],
  ['INT33B2', null],
  ['INT33FC', null],
  ['80862288', V4_12.bsw_pwm_dev_desc],
  ['8086228A', V4_12.bsw_uart_dev_desc],
  ['8086228E', V4_12.bsw_spi_dev_desc],
  ['808622C1', V4_12.bsw_i2c_dev_desc],
  ['INT3430', V4_12.lpt_dev_desc],
  ['INT3431', V4_12.lpt_dev_desc],
  ['INT3432', V4_12.lpt_i2c_dev_desc],
  ['INT3433', V4_12.lpt_i2c_dev_desc],
  ['INT3434', V4_12.lpt_uart_dev_desc],
  ['INT3435', V4_12.lpt_uart_dev_desc],
  ['INT3436', V4_12.lpt_sdio_dev_desc],
  ['INT3437', null],
  ['INT3438', V4_12.lpt_dev_desc],
]);

/**
 * acpi_lpss_device_ids[] of 6.12: the entries without a description (INT33C7, INT33B2, INT33FC, INT3437) are gone,
 * Braswell gained its DMA controllers (80862286, 808622C0) and a second PWM (80862289).
 */
export const ACPI_LPSS_DEVICE_IDS_V6_12: readonly LpssDeviceId[] = ids([
  ['INTL9C60', V6_12.lpss_dma_desc],
  ['INT33C0', V6_12.lpt_spi_dev_desc],
  ['INT33C1', V6_12.lpt_spi_dev_desc],
  ['INT33C2', V6_12.lpt_i2c_dev_desc],
  ['INT33C3', V6_12.lpt_i2c_dev_desc],
  ['INT33C4', V6_12.lpt_uart_dev_desc],
  ['INT33C5', V6_12.lpt_uart_dev_desc],
  ['INT33C6', V6_12.lpt_sdio_dev_desc],
  ['80860F09', V6_12.byt_pwm_dev_desc],
  ['80860F0A', V6_12.byt_uart_dev_desc],
  ['80860F0E', V6_12.byt_spi_dev_desc],
  ['80860F14', V6_12.byt_sdio_dev_desc],
  ['80860F41', V6_12.byt_i2c_dev_desc],
  ['80862286', V6_12.lpss_dma_desc],
  ['80862288', V6_12.bsw_pwm_dev_desc],
  ['80862289', V6_12.bsw_pwm2_dev_desc],
  ['8086228A', V6_12.bsw_uart_dev_desc],
  ['8086228E', V6_12.bsw_spi_dev_desc],
  ['808622C0', V6_12.lpss_dma_desc],
  ['808622C1', V6_12.bsw_i2c_dev_desc],
  ['INT3430', V6_12.lpt_spi_dev_desc],
  ['INT3431', V6_12.lpt_spi_dev_desc],
  ['INT3432', V6_12.lpt_i2c_dev_desc],
  ['INT3433', V6_12.lpt_i2c_dev_desc],
  ['INT3434', V6_12.lpt_uart_dev_desc],
  ['INT3435', V6_12.lpt_uart_dev_desc],
  ['INT3436', V6_12.lpt_sdio_dev_desc],
  ['INT3438', V6_12.lpt_spi_dev_desc],
]);

/** The id table of a base kernel. */
export function acpiLpssDeviceIds(base: KernelBase): readonly LpssDeviceId[] {
  return base === '4.12' ? ACPI_LPSS_DEVICE_IDS_V4_12 : ACPI_LPSS_DEVICE_IDS_V6_12;
}
